import CellSentences
import Foundation
import Mechanics
import SingleCell

/// How prompts are assembled; the text conventions every task shares.
public enum PromptFormat {
    /// What joins `model_input` and `response` when a model is trained or prompted: one space.
    /// Every built-in input template ends with ":" or "?", and responses have no leading space.
    public static let separator = " "

    /// The multi-cell block: one line per cell, "Cell 1: GENE GENE ...".
    public static func cellBlock(_ sentences: [Substring]) -> String {
        sentences.enumerated().map { "Cell \($0.offset + 1): \($0.element)" }.joined(separator: "\n")
    }

    /// The reference package's multi-cell block (cell2sentence 1.2.0,
    /// `C2SMultiCellPromptFormatter`): for each cell "Cell i:", a line break, its sentence, "."
    /// and a line break, so the block ends with ".\n" (and templates that add "." after it give
    /// ".\n.", as the published checkpoints saw in training).
    public static func referenceCellBlock(_ sentences: [Substring]) -> String {
        var out = ""
        for (i, s) in sentences.enumerated() { out += "Cell \(i + 1):\n\(s).\n" }
        return out
    }

    /// Where each sentence lies in `referenceCellBlock(sentences)`, in Unicode code points.
    public static func referenceCellBlockSpans(_ sentences: [Substring]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var start = 0
        for (i, s) in sentences.enumerated() {
            start += "Cell \(i + 1):\n".unicodeScalars.count
            let end = start + s.unicodeScalars.count
            spans.append(start..<end)
            start = end + 2  // ".\n"
        }
        return spans
    }

    /// Where each sentence lies in `cellBlock(sentences)`, in Unicode code points.
    public static func cellBlockSpans(_ sentences: [Substring]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var start = 0
        for (i, s) in sentences.enumerated() {
            start += "Cell \(i + 1): ".unicodeScalars.count
            let end = start + s.unicodeScalars.count
            spans.append(start..<end)
            start = end + 1  // the line break
        }
        return spans
    }
}

/// Settings of `PromptBuilder`.
public struct PromptOptions: Sendable {
    /// Tasks with optional mixing weights. With any weight given, `examples` examples are
    /// drawn, each from a task chosen with these weights (as the paper trained on a random
    /// task per example); otherwise every unit of every task gives one example.
    public var tasks: [(task: TaskDefinition, weight: Double?)] = []
    public var examples: Int?
    /// Instead of `examples`: this many examples per cell of the dataset (all splits), so the
    /// count follows the data's size (with weights 2:1:1 and 2 per cell, the first task's draws
    /// reach about every cell once, as its seeded cycle goes through all of them first).
    public var examplesPerCell: Double?
    /// Tasks (by name) whose weighted draws are spread evenly over labels: each draw takes the
    /// next label of a seeded round-robin and then that label's next cell, so a rare cell type
    /// is conditioned on as often as a common one (a cell of a small type recurs more often).
    /// Single-cell tasks that use `{label}` only; needs task weights.
    public var balancedTasks: Set<String> = []
    /// Noise on the gene order of the cells shown in training inputs (`RankNoise`; none by
    /// default), so that a cell drawn several times is seen as several measurements.
    public var rankNoise = RankNoise.none
    /// Genes of each cell shown (the top k of its sentence).
    public var topK = 200
    public var organism = "Homo sapiens"
    /// How values are laid out and templates filled (a checkpoint's profile, or c2s's own).
    public var style = PromptStyle.c2s
    /// The profile name written as each example's `prompt_format` (nil: c2s's own format,
    /// written without the field).
    public var promptFormat: String?
    /// Column giving `{label}` for single-cell and perturbation tasks.
    public var labelColumn = "cell_type"
    /// Multi-cell tasks: cells are grouped by these columns; the group's `{label}` is the value
    /// of `groupLabelColumn` (default: the first grouping column); `{text}` comes from
    /// `textColumn` or `texts` (group key, values joined by "|", to text).
    public var groupColumns: [String] = []
    public var groupLabelColumn: String?
    public var groupSizes: ClosedRange<Int> = 3...5
    public var textColumn: String?
    public var texts: [String: String] = [:]
    /// Perturbation tasks: which column names the condition, its control value, the columns a
    /// control must share with the perturbed cell, and an optional display name.
    public var perturbationColumn = "stim"
    public var controlValue = "CTRL"
    public var matchColumns: [String] = ["cell_type"]
    public var perturbationName: String?
    /// Perturbation tasks on a dataset without `labelColumn` (no cell type column): the value
    /// of `{label}` in every pair, e.g. `PromptValues.unknownLabel`, so that such data can still
    /// make perturbation prompts (give empty `matchColumns` to pair within one group of all
    /// cells). Nil requires the column. A dataset that has the column uses it as before.
    public var missingLabel: String?
    public var seed: UInt64 = 0
    public var threads = Parallel.defaultThreads

    public init() {}
}

/// What a run produced, by task and split.
public struct PromptSummary: Sendable {
    public var counts: [String: [String: Int]] = [:]  // task -> split -> examples
    public var unmatchedPerturbed = 0
    /// Cells (or groups) left out because a value the task needs (label, text) was missing.
    public var skippedMissingValues = 0
    /// Seconds spent choosing units and rendering text (not writing).
    public var formatSeconds = 0.0
    /// `buildLines`: examples written through the String path, because their text needed
    /// trimming (or had a character at an end that the byte path does not judge) or lacked a value.
    public var stringFallbacks = 0
    public var total: Int { counts.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
}

/// Turns a cell table and a split plan into prompt examples for each requested task.
public struct PromptBuilder {
    public let table: CellTable
    public let splits: SplitPlan
    public let options: PromptOptions
    /// Each cell's split as an index into `SplitPlan.splitNames`, when the caller has it
    /// (`SplitPlan.assign`); otherwise every cell's name is looked up in `splits`.
    public let splitOfCell: [Int]?

    /// - Precondition: `splitOfCell`, when given, has one entry per cell of `table`, each 0, 1 or 2.
    public init(table: CellTable, splits: SplitPlan, options: PromptOptions, splitOfCell: [Int]? = nil) {
        precondition(splitOfCell.map { $0.count == table.cells.count && $0.allSatisfy { (0...2).contains($0) } } ?? true,
                     "splitOfCell must give a split index for every cell")
        self.table = table
        self.splits = splits
        self.options = options
        self.splitOfCell = splitOfCell
    }

    /// A unit of work for one task: the cells of one example.
    struct Unit {
        /// First and second cell (-1 when absent); a group's cells are in `members`.
        var first: Int
        var second = -1
        var members: [Int] = []
        /// Index into `SplitPlan.splitNames`.
        var split: Int
        var perturbation: String?

        var cells: [Int] { members.isEmpty ? (second < 0 ? [first] : [first, second]) : members }
    }

    /// Fields every template may use for a task of `kind` on this table.
    public func availableFields(_ kind: TaskKind) -> Set<String> {
        var fields = Set(TaskDefinition.standardFields(kind))
        if kind != .multiCell { fields.formUnion(table.fieldNames) }
        return fields
    }

    /// Checks columns and templates before any work; errors name what is wrong.
    public func validate() throws {
        let available = Set(table.fieldNames)
        if options.examples != nil && options.examplesPerCell != nil {
            throw DataError("give --examples or --examples-per-cell, not both")
        }
        if let f = options.examplesPerCell {
            guard f.isFinite && f > 0 else { throw DataError("--examples-per-cell must be a positive number, not \(f)") }
            // Beyond this the count would not fit an Int (and no file of it would fit a disk).
            guard f * Double(table.cells.count) <= 1e12 else {
                throw DataError("--examples-per-cell \(f) asks for \(f * Double(table.cells.count)) examples from \(table.cells.count) cells; at most 10^12")
            }
            guard options.tasks.contains(where: { $0.weight != nil }) else {
                throw DataError("--examples-per-cell needs task weights (e.g. --task cell_type_prediction:1): without them every cell gives one example per task")
            }
        }
        func need(_ column: String, _ what: String) throws {
            guard available.contains(column) else {
                throw DataError("\(what) column '\(column)' is not in the dataset; columns: \(table.fieldNames.joined(separator: ", "))")
            }
        }
        let names = Set(options.tasks.map(\.task.name))
        for name in options.balancedTasks.sorted() {
            guard let task = options.tasks.first(where: { $0.task.name == name })?.task else {
                throw DataError("--balance-labels names task \(name), which is not among the tasks (\(names.sorted().joined(separator: ", ")))")
            }
            guard task.kind == .singleCell && task.uses("label") else {
                throw DataError("--balance-labels: task \(name) is not conditioned on a cell's label, so it has no labels to balance")
            }
            guard options.tasks.contains(where: { $0.weight != nil }) else {
                throw DataError("--balance-labels needs task weights (e.g. --task \(name):1): it shapes how weighted examples are drawn")
            }
        }
        for (task, _) in options.tasks {
            try task.validate(available: availableFields(task.kind))
            switch task.kind {
            case .singleCell:
                if task.uses("label") { try need(options.labelColumn, "label (--label-column)") }
            case .multiCell:
                guard !options.groupColumns.isEmpty else {
                    throw DataError("task \(task.name) groups cells: give --group-columns (e.g. donor,tissue)")
                }
                for c in options.groupColumns { try need(c, "group (--group-columns)") }
                if let c = options.groupLabelColumn { try need(c, "group label (--group-label-column)") }
                if task.uses("text") {
                    if let c = options.textColumn { try need(c, "text (--text-column)") } else if options.texts.isEmpty {
                        throw DataError("task \(task.name) needs a text per group: give --text-column or --text-file")
                    }
                }
            case .perturbation:
                try need(options.perturbationColumn, "perturbation (--perturbation-column)")
                for c in options.matchColumns { try need(c, "match (--match-columns)") }
                if task.uses("label") && labelStandIn == nil { try need(options.labelColumn, "label (--label-column)") }
            }
        }
    }

    /// What `{label}` says in perturbation prompts: `options.missingLabel` when the dataset has
    /// no label column, else nil (each pair's own value).
    var labelStandIn: String? {
        table.fieldNames.contains(options.labelColumn) ? nil : options.missingLabel
    }

    /// Appends the units of `task` to `units`, split by split, with the cells of one split never
    /// mixed. `labels`: each cell's value in the label column (needed when the task uses `{label}`).
    func appendUnits(_ task: TaskDefinition, to units: inout [Unit], cellSplits: [Int], labels: [String?],
                     unmatched: inout Int, skipped: inout Int) throws {
        let cells = table.cells
        var bySplit = [[Int]](repeating: [], count: SplitPlan.splitNames.count)
        for (i, s) in cellSplits.enumerated() { bySplit[s].append(i) }
        // Cells without a value the task needs cannot make an example: leave them out (counted).
        let needsLabel = task.uses("label") && task.kind != .multiCell && !(task.kind == .perturbation && labelStandIn != nil)
        for split in bySplit.indices where !bySplit[split].isEmpty {
            var members = bySplit[split]
            if needsLabel {
                let before = members.count
                members = members.filter { labels[$0] != nil }
                skipped += before - members.count
            }
            switch task.kind {
            case .singleCell:
                units.reserveCapacity(units.count + members.count)
                for m in members { units.append(Unit(first: m, split: split)) }
            case .multiCell:
                let groups = try CellGrouping.groups(cells: cells, indices: members, by: options.groupColumns,
                                                     sizes: options.groupSizes, seed: options.seed)
                for g in groups {
                    if task.uses("text") && text(for: g.members.map { cells[$0] }) == nil { skipped += 1; continue }
                    units.append(Unit(first: g.members[0], members: g.members, split: split))
                }
            case .perturbation:
                let r = try PerturbationPairing.pairs(cells: cells, indices: members, perturbationColumn: options.perturbationColumn,
                                                      controlValue: options.controlValue, matchColumns: options.matchColumns,
                                                      seed: options.seed)
                unmatched += r.unmatched
                units += r.pairs.map { Unit(first: $0.control, second: $0.perturbed, split: split, perturbation: options.perturbationName ?? $0.perturbation) }
            }
        }
    }

    /// Each cell's split as an index into `SplitPlan.splitNames` (unassigned cells train), looked
    /// up in parallel (a hash lookup per cell adds up over millions).
    func cellSplits() -> [Int] {
        var result = [Int](repeating: 0, count: table.cells.count)
        forEachCell(&result) { cells, out, range in
            for i in range {
                switch splits.split(of: cells[i].name) {
                case "validation": out[i] = 1
                case "test": out[i] = 2
                default: out[i] = 0
                }
            }
        }
        return result
    }

    /// Runs `body` on parts of the cells in parallel, with the cells and `result` as pointers
    /// (so that reading a cell's field copies no record); `body` sets `result` over its range.
    private func forEachCell<T>(_ result: inout [T],
                                _ body: (UnsafeBufferPointer<CellRecord>, UnsafeMutableBufferPointer<T>, Range<Int>) -> Void) {
        table.cells.withUnsafeBufferPointer { cells in
            result.withUnsafeMutableBufferPointer { out in
                withoutActuallyEscaping(body) { body in
                    let shared = UncheckedSendable((cells, out, body))
                    Parallel.forEachRange(cells.count, threads: options.threads) { _, range in
                        let (cells, out, body) = shared.value
                        body(cells, out, range)
                    }
                }
            }
        }
    }

    /// The plan of examples and what it was made from.
    struct Schedule {
        var tasks: [TaskDefinition]
        /// The units of every task, task after task.
        var units: [Unit]
        /// Which task and unit (an index into `units`) each example comes from, in output order.
        var order: [(task: Int, unit: Int)] = []
        var unmatched = 0
        var skipped = 0
        /// Each cell's value in the label column when a single-cell or perturbation task uses
        /// `{label}`, else empty.
        var labels: [String?]
    }

    /// The plan of examples: which task and unit each example comes from, in output order.
    func schedule() throws -> Schedule {
        var unmatched = 0, skipped = 0
        let tasks = options.tasks.map(\.task)
        let splitOfCell = self.splitOfCell ?? cellSplits()
        let labels = tasks.contains { $0.kind != .multiCell && $0.uses("label") } ? table.values(of: options.labelColumn) : []
        // One array of units for all tasks, so that an example's unit is one index away.
        var units: [Unit] = []
        var ranges: [Range<Int>] = []
        for task in tasks {
            let start = units.count
            try appendUnits(task, to: &units, cellSplits: splitOfCell, labels: labels, unmatched: &unmatched, skipped: &skipped)
            ranges.append(start..<units.count)
        }
        var order: [(Int, Int)] = []
        let weights = options.tasks.map(\.weight)
        if weights.allSatisfy({ $0 == nil }) {
            order.reserveCapacity(units.count)
            for (t, r) in ranges.enumerated() { for u in r { order.append((t, u)) } }
        } else {
            let w = weights.map { max(0, $0 ?? 0) }
            let total = w.reduce(0, +)
            guard total > 0 else { throw DataError("task weights must not all be zero") }
            let n = options.examples ?? Self.examples(perCell: options.examplesPerCell, cells: table.cells.count)
            // Each task's units in a seeded shuffled order, cycled if more are needed.
            var shuffled = ranges.enumerated().map { (t, r) -> [Int] in
                var rng = SplitMix64(seed: SplitMix64.derive(options.seed, UInt64(t) &+ 0xA11))
                return Array(r).shuffled(using: &rng)
            }
            // Balanced tasks: their shuffled units grouped by label (labels in a seeded order).
            let byLabel = tasks.enumerated().map { (t, task) -> [[Int]]? in
                guard options.balancedTasks.contains(task.name) else { return nil }
                return Self.groupedByLabel(shuffled[t], label: { labels[units[$0].first] ?? "" },
                                           seed: SplitMix64.derive(options.seed, UInt64(t) &+ 0xBA1))
            }
            var next = [Int](repeating: 0, count: ranges.count)
            var rng = SplitMix64(seed: SplitMix64.derive(options.seed, 0x4D1C))
            for _ in 0..<n {
                var r = Double(rng.next() >> 11) / Double(1 << 53) * total
                var t = 0
                while t < w.count - 1 && (r >= w[t] || ranges[t].isEmpty) { r -= w[t]; t += 1 }
                guard !shuffled[t].isEmpty else { continue }
                if let groups = byLabel[t] {
                    let group = groups[next[t] % groups.count]
                    order.append((t, group[(next[t] / groups.count) % group.count]))
                } else {
                    order.append((t, shuffled[t][next[t] % shuffled[t].count]))
                }
                next[t] += 1
            }
            shuffled.removeAll()
        }
        return Schedule(tasks: tasks, units: units, order: order, unmatched: unmatched, skipped: skipped, labels: labels)
    }

    /// The number of weighted draws for `perCell` examples per cell (at least one), or one per
    /// cell without it.
    static func examples(perCell: Double?, cells: Int) -> Int {
        guard let f = perCell else { return cells }
        return max(1, Int((f * Double(cells)).rounded()))
    }

    /// `units` grouped by `label`, each group in the units' own order, the groups in an order
    /// shuffled with `seed` (so which label comes first does not depend on its name).
    static func groupedByLabel(_ units: [Int], label: (Int) -> String, seed: UInt64) -> [[Int]] {
        var index: [String: Int] = [:]
        var groups: [[Int]] = []
        var names: [String] = []
        for u in units {
            let name = label(u)
            if let g = index[name] {
                groups[g].append(u)
            } else {
                index[name] = groups.count
                groups.append([u])
                names.append(name)
            }
        }
        // Sorted first, so the order depends on the seed and the label set alone.
        let sorted = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        var rng = SplitMix64(seed: seed)
        return sorted.shuffled(using: &rng).map { groups[$0] }
    }

    /// Renders every example and hands them, in order, to `write` in chunks.
    ///
    /// Plain String rendering: the definition of the text, and the reference `buildLines` is
    /// tested against.
    public func build(_ write: ([PromptExample]) throws -> Void) throws -> PromptSummary {
        let started = Date()
        var writing = 0.0
        try validate()
        let plan = try schedule()
        let (tasks, units, order) = (plan.tasks, plan.units, plan.order)
        var summary = PromptSummary()
        summary.unmatchedPerturbed = plan.unmatched
        summary.skippedMissingValues = plan.skipped
        let chunk = 8192
        for start in stride(from: 0, to: order.count, by: chunk) {
            let slice = Array(order[start..<min(order.count, start + chunk)])
            var rendered = [Result<PromptExample, Error>](repeating: .failure(DataError("")), count: slice.count)
            let shared = UncheckedSendable((self, tasks, units, slice))
            let parts = Parallel.ranges(slice.count, parts: options.threads)
            rendered.withUnsafeMutableBufferPointer { rb in
                let out = SendablePointer(rb.baseAddress!)
                Parallel.forEach(parts) { p, range in
                    let (builder, tasks, units, slice) = shared.value
                    for k in range {
                        let (t, u) = slice[k]
                        out[k] = Result { try builder.render(tasks[t], units[u], example: start + k) }
                    }
                }
            }
            let examples = try rendered.map { try $0.get() }
            let t = Date()
            try write(examples)
            writing += Date().timeIntervalSince(t)
        }
        summary.counts = Self.counts(tasks, units, order)
        summary.formatSeconds = Date().timeIntervalSince(started) - writing
        return summary
    }

    /// Examples by task name and split name.
    static func counts(_ tasks: [TaskDefinition], _ units: [Unit], _ order: [(task: Int, unit: Int)]) -> [String: [String: Int]] {
        var tally = [[Int]](repeating: [Int](repeating: 0, count: SplitPlan.splitNames.count), count: tasks.count)
        for (t, u) in order { tally[t][units[u].split] += 1 }
        var counts: [String: [String: Int]] = [:]
        for (t, task) in tasks.enumerated() {
            for (s, n) in tally[t].enumerated() where n > 0 { counts[task.name, default: [:]][SplitPlan.splitNames[s]] = n }
        }
        return counts
    }

    /// The free text of a group: its text column's value, or the text given for its key.
    func text(for cells: [CellRecord]) -> String? {
        if let c = options.textColumn { return cells.first?.fields[c] }
        let key = options.groupColumns.map { cells.first?.fields[$0] ?? "NA" }.joined(separator: "|")
        return options.texts[key]
    }
}
