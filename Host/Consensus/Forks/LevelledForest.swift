/// Blocks at or above a lowest level (view), as a forest: vertices by id,
/// levels by view, children by parent. Flow's LevelledForest, for blocks.
///
/// Invariant: every vertex has `view >= lowestLevel`; `prune(below:)` only
/// raises `lowestLevel`.
public struct LevelledForest: Sendable {
    private var vertices: [BlockID: Block] = [:]
    private var children: [BlockID: [BlockID]] = [:]
    private var levels: [View: [BlockID]] = [:]
    public private(set) var lowestLevel: View

    public init(lowestLevel: View) { self.lowestLevel = lowestLevel }

    public var count: Int { vertices.count }

    public func block(_ id: BlockID) -> Block? { vertices[id] }
    public func contains(_ id: BlockID) -> Bool { vertices[id] != nil }
    public func blocks(atView view: View) -> [Block] { levels[view, default: []].compactMap { vertices[$0] } }
    public func children(of id: BlockID) -> [Block] { children[id, default: []].compactMap { vertices[$0] } }

    /// Adds `block` if it is at or above the lowest level and new. Returns
    /// whether it was added.
    @discardableResult
    public mutating func add(_ block: Block) -> Bool {
        guard block.view >= lowestLevel, vertices[block.id] == nil else { return false }
        vertices[block.id] = block
        levels[block.view, default: []].append(block.id)
        children[block.parentID, default: []].append(block.id)
        return true
    }

    /// Removes every vertex below `level`.
    public mutating func prune(below level: View) {
        guard level > lowestLevel else { return }
        for view in levels.keys where view < level {
            for id in levels.removeValue(forKey: view) ?? [] {
                vertices.removeValue(forKey: id)
                children.removeValue(forKey: id)
            }
        }
        for parent in children.keys where vertices[parent] == nil && !(children[parent]?.contains(where: { vertices[$0] != nil }) ?? false) {
            children.removeValue(forKey: parent)
        }
        lowestLevel = level
    }
}
