import CellSentences
import Foundation
import Mechanics
import SingleCell

/// splits.json: how a `SplitPlan` is written, read back and checked against the cells it is used on.
extension SplitPlan {
    private enum CodingKeys: String, CodingKey {
        case seed, fractions, assignments
        case stratifyBy = "stratify_by"
        case groupBy = "group_by"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seed = try c.decode(UInt64.self, forKey: .seed)
        fractions = try c.decode(SplitFractions.self, forKey: .fractions)
        stratifyBy = try c.decodeIfPresent(String.self, forKey: .stratifyBy)
        groupBy = try c.decodeIfPresent([String].self, forKey: .groupBy) ?? []
        assignments = try c.decode([String: String].self, forKey: .assignments)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seed, forKey: .seed)
        try c.encode(fractions, forKey: .fractions)
        if let stratifyBy { try c.encode(stratifyBy, forKey: .stratifyBy) } else { try c.encodeNil(forKey: .stratifyBy) }
        try c.encode(groupBy, forKey: .groupBy)
        try c.encode(assignments, forKey: .assignments)
    }

    /// Writes the plan as JSON (keys `seed`, `fractions`, `stratify_by`, `group_by`,
    /// `assignments`; sorted, so the same plan always gives the same bytes). The file is written
    /// beside `path` under a temporary name and renamed, so a reader never sees half a plan.
    /// Throws `FileError` on failure.
    public func write(to path: String) throws {
        // The settings through JSONEncoder; the (large) assignment table by hand, sorted by cell
        // name, one per line: Foundation's encoder takes seconds for a million cells.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var settings = self
        settings.assignments = [:]
        var head: [UInt8]
        do { head = Array(try encoder.encode(settings)) } catch {
            throw FileError(path, "cannot encode the split plan: \(error)")
        }
        // Replace the empty `"assignments" : {}` with the full table.
        let empty = Array(#""assignments" : {"#.utf8)
        guard let at = head.firstRange(of: empty) else { throw FileError(path, "cannot encode the split plan") }
        var body: [UInt8] = []
        body.reserveCapacity(assignments.count * 40)
        let entries = Array(assignments)
        let order = NameOrder.sorted(entries.map(\.key))
        let indent = Array("\n    ".utf8), colon = Array(" : ".utf8)
        for (k, i) in order.enumerated() {
            body += indent
            JSONText.appendString(entries[i].key, to: &body)
            body += colon
            JSONText.appendString(entries[i].value, to: &body)
            if k + 1 < order.count { body.append(44) }
        }
        if !order.isEmpty { body += Array("\n  ".utf8) }
        // The encoder writes an empty object as "{", blank space, "}": replace all of it.
        guard let close = head[at.upperBound...].firstIndex(of: 125) else { throw FileError(path, "cannot encode the split plan") }
        head.replaceSubrange(at.upperBound...close, with: body + [125])
        let data = Data(head)
        try AtomicTextFile.write(data, to: path)
    }

    /// Reads a plan written by `write(to:)`. Throws `FileError(path, ...)` for a missing or invalid
    /// file.
    public static func read(path: String) throws -> SplitPlan {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FileError(path, "no such split plan file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path, "cannot read the split plan file")
        }
        let plan: SplitPlan
        do {
            plan = try JSONDecoder().decode(SplitPlan.self, from: data)
        } catch let error as DataError {
            throw FileError(path, "not a valid split plan: \(error.message)")
        } catch let DecodingError.keyNotFound(key, _) {
            throw FileError(path, "not a valid split plan: the key '\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            let where_ = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw FileError(path, "not a valid split plan: '\(where_)' has the wrong type")
        } catch {
            throw FileError(path, "not a valid split plan (expected the JSON written by c2s)")
        }
        if let (name, split) = plan.assignments.first(where: { !splitNames.contains($0.value) }) {
            throw FileError(path, "not a valid split plan: cell '\(name)' is assigned to '\(split)' (expected train, validation or test)")
        }
        return plan
    }

    /// Checks that every cell of `cells` has an assignment. Throws `FileError` naming the plan file
    /// `path`, how many cells are missing, and a few of their names.
    public func check(covers cells: [CellRecord], path: String) throws {
        var missing = 0
        var examples: [String] = []
        for cell in cells where assignments[cell.name] == nil {
            missing += 1
            if examples.count < 3 { examples.append(cell.name) }
        }
        guard missing > 0 else { return }
        let more = missing > examples.count ? ", ..." : ""
        throw FileError(path, "\(missing) of \(cells.count) cells have no split in this plan (for example \(examples.joined(separator: ", "))\(more)); it was made for other cells — make a new plan or use the data it was made for")
    }
}
