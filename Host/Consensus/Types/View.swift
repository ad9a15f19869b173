import BatonCrypto

/// A consensus round number. Views only grow.
public typealias View = UInt64
/// Position in the chain: genesis is 0, each block is its parent's + 1.
public typealias Height = UInt64
/// SHA-256 of a block's canonical header encoding.
public typealias BlockID = Bytes32
/// A committee member's position in the committee's member list.
public typealias ValidatorIndex = UInt16

/// The number of a committee: 0 for the genesis committee, one more at each
/// committee change. Signatures are separated by it (`SigningDomain`).
public typealias Epoch = UInt64
