import BatonTestSupport
import Simulation

// Signed-object builders live in BatonTestSupport (SignedObjects.swift).
typealias TestCommittee = SimulatedCommittee
typealias Cluster = ScriptedCluster
