import CellSentences
import Foundation
import Mechanics
import SingleCell

/// How a dataset's cells are shared between the train, validation and test splits.
public struct SplitFractions: Codable, Sendable, Equatable {
    public var train: Double
    public var validation: Double
    public var test: Double

    /// Fractions of cells for each split: each at least 0, summing to 1 (within 1e-9).
    public init(train: Double, validation: Double, test: Double) throws {
        for (name, value) in [("train", train), ("validation", validation), ("test", test)] {
            guard value.isFinite, value >= 0 else {
                throw DataError("split fractions must be numbers of at least 0, but the \(name) fraction is \(value)")
            }
        }
        let sum = train + validation + test
        guard abs(sum - 1) <= 1e-9 else {
            throw DataError("split fractions must add up to 1, but \(train) + \(validation) + \(test) = \(sum)")
        }
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Parses the command-line form `train,validation,test`, for example `0.8,0.1,0.1`.
    public init(argument: String) throws {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 3 else {
            throw DataError("split fractions must be three numbers train,validation,test such as 0.8,0.1,0.1, not '\(argument)'")
        }
        var values: [Double] = []
        for part in parts {
            guard let value = Double(part) else {
                throw DataError("split fractions must be three numbers train,validation,test such as 0.8,0.1,0.1, but '\(part)' in '\(argument)' is not a number")
            }
            values.append(value)
        }
        try self.init(train: values[0], validation: values[1], test: values[2])
    }

    private enum CodingKeys: String, CodingKey { case train, validation, test }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(train: try c.decode(Double.self, forKey: .train),
                      validation: try c.decode(Double.self, forKey: .validation),
                      test: try c.decode(Double.self, forKey: .test))
    }

    /// The fractions in split order (train, validation, test).
    var values: [Double] { [train, validation, test] }
}

/// Which split every cell is in; saved as splits.json and reusable so a model's test cells stay
/// unseen.
public struct SplitPlan: Codable, Sendable, Equatable {
    /// The split names in their fixed order.
    public static let splitNames = ["train", "validation", "test"]

    /// The seed the plan was made with.
    public var seed: UInt64
    /// The fractions the plan was made with.
    public var fractions: SplitFractions
    /// The label column the splits were stratified by, if any.
    public var stratifyBy: String?
    /// The columns whose value combinations never appear in two splits (for example `["donor"]`).
    public var groupBy: [String]
    /// Cell name -> `train`, `validation` or `test`.
    public var assignments: [String: String]

    public init(seed: UInt64, fractions: SplitFractions, stratifyBy: String?, groupBy: [String], assignments: [String: String]) {
        self.seed = seed
        self.fractions = fractions
        self.stratifyBy = stratifyBy
        self.groupBy = groupBy
        self.assignments = assignments
    }

    /// Assigns every cell to a split.
    ///
    /// Stratified (per value of `stratifyBy`; largest-remainder allocation of each stratum's cells,
    /// so every split gets its share of every class where possible — each stratum's count in a
    /// split is its exact share rounded down or up, and the split totals are the overall shares
    /// rounded by largest remainder) and optionally grouped (units are groups of cells sharing the
    /// `groupBy` values; groups are allocated to splits — stratified by each group's most common
    /// label — so that the cell counts come as close to the fractions as possible). Cells with a
    /// missing stratify/group value form their own stratum/group "NA". The column `cell_name` is
    /// the cell's name.
    ///
    /// Units are put in a stable order (cell name or group values) before the seeded shuffle, so
    /// the plan depends only on the cells, the fractions and the seed, not on the cells' order.
    /// Throws `DataError` for an unknown column (listing the available fields) or duplicate cell
    /// names.
    public static func make(cells: [CellRecord], fractions: SplitFractions, seed: UInt64, stratifyBy: String?, groupBy: [String]) throws -> SplitPlan {
        try assign(cells: cells, fractions: fractions, seed: seed, stratifyBy: stratifyBy, groupBy: groupBy).plan
    }

    /// As `make`, also giving each cell's split as an index into `splitNames`, in the order of
    /// `cells` (for `PromptBuilder`, which would otherwise look every name up in the plan).
    public static func assign(cells: [CellRecord], fractions: SplitFractions, seed: UInt64, stratifyBy: String?, groupBy: [String]) throws -> (plan: SplitPlan, splitOfCell: [Int]) {
        if let stratifyBy { try CellColumns.require([stratifyBy], in: cells, role: "stratify-by") }
        try CellColumns.require(groupBy, in: cells, role: "group-by")
        // Cells in order of name: equal names are neighbours, and every stratum below lists its
        // cells in this order.
        let names = cells.map(\.name)
        let byName = NameOrder.sorted(names)
        var repeated = Set<String>()
        for k in byName.indices.dropFirst() where names[byName[k]] == names[byName[k - 1]] { repeated.insert(names[byName[k]]) }
        if !repeated.isEmpty {
            // The first few repeats in the cells' order.
            var seen = Set<String>()
            var duplicates: [String] = []
            for name in names where repeated.contains(name) && !seen.insert(name).inserted {
                if duplicates.count < 5 { duplicates.append(name) }
            }
            throw DataError("cell names must be unique to split cells, but these appear more than once: \(duplicates.joined(separator: ", "))")
        }

        let weights = SplitAllocation.weights(fractions)
        let label: (CellRecord) -> String = { cell in
            stratifyBy.flatMap { CellColumns.value(cell, $0) } ?? "NA"
        }
        var assignments: [String: String] = [:]
        assignments.reserveCapacity(cells.count)
        var splitOfCell = [Int](repeating: 0, count: cells.count)

        if groupBy.isEmpty {
            // Units are cells: exact controlled rounding per stratum.
            var strata: [String: [Int]] = [:]
            if stratifyBy == nil {
                strata["NA"] = byName
            } else {
                for i in byName { strata[label(cells[i]), default: []].append(i) }
            }
            let keys = strata.keys.sorted()
            let members = keys.map { strata[$0]! }
            let streams = keys.map { SeededOrder.stream([$0]) }
            let allocation = SplitAllocation.controlledRounding(sizes: members.map(\.count), streams: streams, weights: weights, seed: seed)
            for s in keys.indices {
                var order = members[s]
                SeededOrder.shuffle(&order, seed: seed, stream: streams[s])
                var position = 0
                for k in 0..<3 {
                    for i in order[position..<(position + allocation[s][k])] {
                        assignments[cells[i].name] = splitNames[k]
                        splitOfCell[i] = k
                    }
                    position += allocation[s][k]
                }
            }
        } else {
            // Units are groups of cells sharing the group-by values.
            var groupMembers: [[String]: [Int]] = [:]
            for (i, cell) in cells.enumerated() {
                let key = groupBy.map { CellColumns.value(cell, $0) ?? "NA" }
                groupMembers[key, default: []].append(i)
            }
            let keys = groupMembers.keys.sorted { $0.lexicographicallyPrecedes($1) }
            var groups: [SplitAllocation.Group] = []
            groups.reserveCapacity(keys.count)
            for key in keys {
                let members = groupMembers[key]!
                var labelCounts: [String: Int] = [:]
                for i in members { labelCounts[label(cells[i]), default: 0] += 1 }
                // Most common label; ties go to the first label in sorted order.
                let majority = labelCounts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!.key
                groups.append(.init(key: key, stratum: majority, members: members))
            }
            let chosen = SplitAllocation.assignGroups(groups, weights: weights, seed: seed)
            for (g, group) in groups.enumerated() {
                for i in group.members {
                    assignments[cells[i].name] = splitNames[chosen[g]]
                    splitOfCell[i] = chosen[g]
                }
            }
        }
        let plan = SplitPlan(seed: seed, fractions: fractions, stratifyBy: stratifyBy, groupBy: groupBy, assignments: assignments)
        return (plan, splitOfCell)
    }

    /// The split (`train`, `validation` or `test`) of a cell, or nil when the plan does not have it.
    public func split(of cellName: String) -> String? { assignments[cellName] }

    /// Counts per split (keys `train`, `validation`, `test`), and, when the plan is stratified, per
    /// split and stratum (keys `split/value`, for example `test/B cell`; a missing value counts as
    /// `NA`). Cells the plan does not cover are counted under `unassigned`. For reports and tests.
    public func counts(cells: [CellRecord]) -> [String: Int] {
        var result: [String: Int] = [:]
        for name in Self.splitNames { result[name] = 0 }
        for cell in cells {
            guard let split = assignments[cell.name] else {
                result["unassigned", default: 0] += 1
                continue
            }
            result[split, default: 0] += 1
            if let stratifyBy {
                result[split + "/" + (CellColumns.value(cell, stratifyBy) ?? "NA"), default: 0] += 1
            }
        }
        return result
    }

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
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temp)
        } catch {
            throw FileError(path, "cannot write the split plan (is the folder \(folder.path) there and writable?)")
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw FileError(path, "cannot write the split plan: \(reason)")
        }
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

// MARK: - Shared helpers for splits, groups and pairs

/// Looking up cell metadata columns by name.
enum CellColumns {
    /// The column that holds a cell's name.
    static let cellName = "cell_name"

    /// A cell's value in `column` (`cell_name` is the cell's name), or nil when missing.
    @inline(__always)
    static func value(_ cell: CellRecord, _ column: String) -> String? {
        column == cellName ? cell.name : cell.fields[column]
    }

    /// The columns any cell has, plus `cell_name`, sorted.
    static func available(_ cells: [CellRecord]) -> [String] {
        var names: Set<String> = [cellName]
        for cell in cells { names.formUnion(cell.fields.keys) }
        return names.sorted()
    }

    /// Throws `DataError` for a column no cell has, listing the available fields.
    static func require(_ columns: [String], in cells: [CellRecord], role: String) throws {
        guard !columns.isEmpty else { return }
        let names = available(cells)
        for column in columns where !names.contains(column) {
            throw DataError("unknown \(role) column '\(column)'; available fields: \(names.joined(separator: ", "))")
        }
    }
}

/// Seeded, platform-independent orderings.
enum SeededOrder {
    /// A stream number for a key: 64-bit FNV-1a over the UTF-8 bytes of the parts (each followed
    /// by a 0x1F separator), stable across runs and platforms.
    static func stream(_ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for part in parts {
            for byte in part.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash = (hash ^ 0x1F) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// A uniform integer in 0..<bound (Lemire's multiply-and-reject method).
    @inline(__always)
    static func below(_ bound: Int, _ rng: inout SplitMix64) -> Int {
        let n = UInt64(bound)
        var m = rng.next().multipliedFullWidth(by: n)
        if m.low < n {
            let threshold = (0 &- n) % n
            while m.low < threshold { m = rng.next().multipliedFullWidth(by: n) }
        }
        return Int(m.high)
    }

    /// Fisher–Yates shuffle driven by SplitMix64 seeded from (`seed`, `stream`).
    static func shuffle<T>(_ items: inout [T], seed: UInt64, stream: UInt64) {
        guard items.count > 1 else { return }
        var rng = SplitMix64(seed: SplitMix64.derive(seed, stream))
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = below(i + 1, &rng)
            if i != j { items.swapAt(i, j) }
        }
    }
}

// MARK: - Allocation of units to splits

/// The arithmetic behind `SplitPlan.make`: exact integer shares and the assignment of groups.
enum SplitAllocation {
    /// Fractions are turned into integer weights summing to `scale`, so every share below is
    /// computed exactly.
    static let scale = 1_000_000_000

    /// Integer weights (train, validation, test) summing to `scale`; a zero fraction stays zero.
    static func weights(_ fractions: SplitFractions) -> [Int] {
        let values = fractions.values
        let sum = values.reduce(0, +)
        let raw = values.map { $0 / sum * Double(scale) }
        var weights = raw.map { Int($0.rounded(.down)) }
        let order = (0..<3).filter { values[$0] > 0 }
            .sorted { (raw[$0] - raw[$0].rounded(.down), -$0) > (raw[$1] - raw[$1].rounded(.down), -$1) }
        var left = scale - weights.reduce(0, +)
        var i = 0
        while left > 0 && !order.isEmpty { weights[order[i % order.count]] += 1; left -= 1; i += 1 }
        while left < 0 { let k = weights.indices.max { weights[$0] < weights[$1] }!; weights[k] -= 1; left += 1 }
        return weights
    }

    /// `total` shared by `weights` with largest-remainder rounding (ties go to the earlier split).
    static func largestRemainder(total: Int, weights: [Int]) -> [Int] {
        var shares = weights.map { total * $0 / scale }
        let remainders = weights.map { total * $0 % scale }
        let left = total - shares.reduce(0, +)
        let order = weights.indices.filter { remainders[$0] > 0 }
            .sorted { (remainders[$0], -$0) > (remainders[$1], -$1) }
        for k in order.prefix(left) { shares[k] += 1 }
        return shares
    }

    /// Controlled rounding of the table of shares `sizes[s] * weight[k] / scale`: every entry is
    /// its exact share rounded down or up, every row sums to `sizes[s]`, and every column sums to
    /// the largest-remainder share of the total. Which entries round up is decided by the size of
    /// their remainders, ties broken by a seeded hash of the stratum's stream.
    static func controlledRounding(sizes: [Int], streams: [UInt64], weights: [Int], seed: UInt64) -> [[Int]] {
        let strata = sizes.count
        var table = sizes.map { n in weights.map { n * $0 / scale } }
        let remainders = sizes.map { n in weights.map { n * $0 % scale } }
        let totals = largestRemainder(total: sizes.reduce(0, +), weights: weights)
        var columnLeft = (0..<3).map { k in totals[k] - table.reduce(0) { $0 + $1[k] } }
        var rowLeft = (0..<strata).map { sizes[$0] - table[$0].reduce(0, +) }
        var up = [[Bool]](repeating: [false, false, false], count: strata)

        // Greedy: largest remainders first.
        struct Candidate { var s: Int; var k: Int; var remainder: Int; var tie: UInt64 }
        var candidates: [Candidate] = []
        for s in 0..<strata where rowLeft[s] > 0 {
            let base = SplitMix64.derive(seed, streams[s])
            for k in 0..<3 where remainders[s][k] > 0 {
                candidates.append(Candidate(s: s, k: k, remainder: remainders[s][k], tie: SplitMix64.mix(base ^ UInt64(k + 1))))
            }
        }
        candidates.sort { ($0.remainder, $1.tie, $1.s, $1.k) > ($1.remainder, $0.tie, $0.s, $0.k) }
        for c in candidates where rowLeft[c.s] > 0 && columnLeft[c.k] > 0 {
            up[c.s][c.k] = true
            rowLeft[c.s] -= 1
            columnLeft[c.k] -= 1
        }

        // Repair with augmenting paths (a solution always exists for three columns).
        for s in 0..<strata {
            while rowLeft[s] > 0 {
                if augment(from: s, up: &up, remainders: remainders, columnLeft: &columnLeft) {
                    rowLeft[s] -= 1
                    continue
                }
                // Not reachable in exact arithmetic; keep the row sum right regardless.
                guard let k = (0..<3).first(where: { !up[s][$0] && remainders[s][$0] > 0 }) else { break }
                up[s][k] = true
                columnLeft[k] -= 1
                rowLeft[s] -= 1
            }
        }
        for s in 0..<strata { for k in 0..<3 where up[s][k] { table[s][k] += 1 } }
        return table
    }

    /// Finds a path row s -> column -> row -> ... -> column with room, and flips it.
    private static func augment(from start: Int, up: inout [[Bool]], remainders: [[Int]], columnLeft: inout [Int]) -> Bool {
        let strata = up.count
        var rowFrom = [Int](repeating: -2, count: strata)   // column through which a row was reached
        var columnFrom = [Int](repeating: -1, count: 3)     // row through which a column was reached
        rowFrom[start] = -1
        var queue = [start]
        var head = 0
        while head < queue.count {
            let r = queue[head]
            head += 1
            for k in 0..<3 where columnFrom[k] < 0 && !up[r][k] && remainders[r][k] > 0 {
                columnFrom[k] = r
                if columnLeft[k] > 0 {
                    // Flip the path back to the start.
                    var column = k
                    while true {
                        let row = columnFrom[column]
                        up[row][column] = true
                        let previous = rowFrom[row]
                        if previous < 0 { break }
                        up[row][previous] = false
                        column = previous
                    }
                    columnLeft[k] -= 1
                    return true
                }
                for r2 in 0..<strata where rowFrom[r2] == -2 && up[r2][k] {
                    rowFrom[r2] = k
                    queue.append(r2)
                }
            }
        }
        return false
    }

    /// A group of cells that must stay in one split.
    struct Group {
        var key: [String]
        /// The group's most common label (its stratum).
        var stratum: String
        var members: [Int]
    }

    /// Chooses a split (0, 1, 2) for every group, minimising the squared differences between the
    /// cell counts and their targets, both overall and per stratum. Starts from a greedy pass over
    /// the groups in seeded random order, then improves by moving single groups and swapping pairs
    /// until no move helps. Splits with a zero fraction get nothing.
    static func assignGroups(_ groups: [Group], weights: [Int], seed: UInt64) -> [Int] {
        let strataKeys = Array(Set(groups.map(\.stratum))).sorted()
        let stratumIndex = Dictionary(uniqueKeysWithValues: strataKeys.enumerated().map { ($1, $0) })
        var sizes = [Int](repeating: 0, count: strataKeys.count)
        for g in groups { sizes[stratumIndex[g.stratum]!] += g.members.count }
        let stratumTargets = controlledRounding(sizes: sizes, streams: strataKeys.map { SeededOrder.stream([$0]) }, weights: weights, seed: seed)
        let totals = largestRemainder(total: sizes.reduce(0, +), weights: weights)
        let allowed = (0..<3).filter { weights[$0] > 0 }

        // Remaining room (target minus assigned), overall and per stratum.
        var room = totals.map(Double.init)
        var stratumRoom = stratumTargets.map { $0.map(Double.init) }
        let size = groups.map { Double($0.members.count) }
        let stratum = groups.map { stratumIndex[$0.stratum]! }
        var chosen = [Int](repeating: allowed.first ?? 0, count: groups.count)

        var order = Array(groups.indices)
        SeededOrder.shuffle(&order, seed: seed, stream: SeededOrder.stream(["group order"]))
        for g in order {
            let s = stratum[g]
            var best = allowed[0]
            for k in allowed.dropFirst() where room[k] + stratumRoom[s][k] > room[best] + stratumRoom[s][best] { best = k }
            chosen[g] = best
            room[best] -= size[g]
            stratumRoom[s][best] -= size[g]
        }

        // Change of x² when x changes by d.
        @inline(__always) func change(_ x: Double, _ d: Double) -> Double { d * (d + 2 * x) }
        let swapLimit = 2_000
        for _ in 0..<100 {
            var improved = false
            for g in order {
                let a = chosen[g], s = stratum[g], m = size[g]
                var best = a
                var bestDelta = -0.5
                for b in allowed where b != a {
                    let delta = change(room[a], m) + change(room[b], -m) + change(stratumRoom[s][a], m) + change(stratumRoom[s][b], -m)
                    if delta < bestDelta { bestDelta = delta; best = b }
                }
                if best != a {
                    room[a] += m; room[best] -= m
                    stratumRoom[s][a] += m; stratumRoom[s][best] -= m
                    chosen[g] = best
                    improved = true
                }
            }
            if groups.count <= swapLimit {
                for x in 0..<order.count {
                    for y in (x + 1)..<order.count {
                        let g = order[x], h = order[y]
                        let a = chosen[g], b = chosen[h]
                        if a == b || size[g] == size[h] && stratum[g] == stratum[h] { continue }
                        let m = size[g], p = size[h], s = stratum[g], t = stratum[h]
                        // g moves a -> b, h moves b -> a: room changes by the size leaving minus arriving.
                        var delta = change(room[a], m - p) + change(room[b], p - m)
                        if s == t {
                            delta += change(stratumRoom[s][a], m - p) + change(stratumRoom[s][b], p - m)
                        } else {
                            delta += change(stratumRoom[s][a], m) + change(stratumRoom[s][b], -m)
                                + change(stratumRoom[t][b], p) + change(stratumRoom[t][a], -p)
                        }
                        if delta < -0.5 {
                            room[a] += m - p; room[b] += p - m
                            stratumRoom[s][a] += m; stratumRoom[s][b] -= m
                            stratumRoom[t][b] += p; stratumRoom[t][a] -= p
                            chosen[g] = b; chosen[h] = a
                            improved = true
                        }
                    }
                }
            }
            if !improved { break }
        }
        return chosen
    }
}
