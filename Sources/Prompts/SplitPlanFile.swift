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
        let (head, tail) = try framing(path: path)
        let body = Self.assignmentsText(names: Array(assignments.keys), splits: Array(assignments.values))
        try AtomicTextFile.write(Data(head + body + (body.isEmpty ? [] : Array("\n  ".utf8)) + tail), to: path)
    }

    /// Writes the plan's settings with the assignments given as pieces of `assignmentsText`
    /// kept in files, in the order given (each piece's names all sort before the next piece's),
    /// copied a block at a time: a plan of any number of cells is written without being held.
    /// Writes `path` in place: for a file inside an output folder that is renamed into place
    /// when complete. Throws `FileError` on failure.
    public func write(to path: String, assignmentPieces pieces: [String]) throws {
        let (head, tail) = try framing(path: path)
        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw FileError(path, "cannot be written")
        }
        defer { try? out.close() }
        func write(_ bytes: [UInt8]) throws {
            do { try out.write(contentsOf: bytes) } catch { throw FileError(path, "cannot be written (\(error.localizedDescription))") }
        }
        var wrote = false
        for piece in pieces {
            guard let handle = FileHandle(forReadingAtPath: piece) else { throw FileError(piece, "cannot be read") }
            defer { try? handle.close() }
            var first = true
            while true {
                let chunk: Data
                do { chunk = try handle.read(upToCount: 4 << 20) ?? Data() } catch { throw FileError(piece, "cannot be read (\(error.localizedDescription))") }
                if chunk.isEmpty { break }
                if first {
                    try write(wrote ? [44] : head)
                    first = false
                    wrote = true
                }
                try write(Array(chunk))
            }
        }
        try write((wrote ? Array("\n  ".utf8) : head) + tail)
    }

    /// The assignments of `names` to `splits` as splits.json lists them: sorted by name, each
    /// on its own line, separated by commas.
    public static func assignmentsText(names: [String], splits: [String]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(names.count * 40)
        let order = NameOrder.sorted(names)
        let indent = Array("\n    ".utf8), colon = Array(" : ".utf8)
        for (k, i) in order.enumerated() {
            body += indent
            JSONText.appendString(names[i], to: &body)
            body += colon
            JSONText.appendString(splits[i], to: &body)
            if k + 1 < order.count { body.append(44) }
        }
        return body
    }

    /// The file's bytes before the first assignment (up to `"assignments" : {`) and after the
    /// last (from its closing brace). The settings go through JSONEncoder, the (large) table of
    /// assignments by hand: Foundation's encoder takes seconds for a million cells.
    private func framing(path: String) throws -> (head: [UInt8], tail: [UInt8]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var settings = self
        settings.assignments = [:]
        let text: [UInt8]
        do { text = Array(try encoder.encode(settings)) } catch {
            throw FileError(path, "cannot encode the split plan: \(error)")
        }
        // The encoder writes the empty object as "{", blank space, "}".
        let empty = Array(#""assignments" : {"#.utf8)
        guard let at = text.firstRange(of: empty), let close = text[at.upperBound...].firstIndex(of: 125) else {
            throw FileError(path, "cannot encode the split plan")
        }
        return (Array(text[..<at.upperBound]), Array(text[close...]))
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
        if let error = Self.coverageError(missing: missing, of: cells.count, examples: examples, path: path) { throw error }
    }

    /// The error for `missing` of `total` cells without an assignment in the plan at `path`
    /// (`examples`: the first few), or nil when none is missing.
    public static func coverageError(missing: Int, of total: Int, examples: [String], path: String) -> FileError? {
        guard missing > 0 else { return nil }
        let more = missing > examples.count ? ", ..." : ""
        return FileError(path, "\(missing) of \(total) cells have no split in this plan (for example \(examples.joined(separator: ", "))\(more)); it was made for other cells — make a new plan or use the data it was made for")
    }
}
