import Foundation
import SingleCell

/// What `c2s combine-annotations` reads and writes.
public struct AnnotationCombiningSettings: Sendable {
    /// Constrained `c2s annotate` results (`.h5ad`) of the same cells and labels, each from its
    /// own model or view of the cells.
    public var inputs: [String]
    /// The combined results (`.h5ad`), and the same table as CSV (default: the output's name
    /// with `.csv`).
    public var output: String
    public var csv: String?
    public var overwrite = false

    public init(inputs: [String], output: String) {
        self.inputs = inputs
        self.output = output
    }

    public var csvPath: String { csv ?? (output.hasSuffix(".h5ad") ? String(output.dropLast(5)) : output) + ".csv" }
}

/// Several constrained annotations of the same cells made into one: every label's score is the
/// mean of its log-likelihoods over the readings (a geometric mean of the models' probabilities,
/// the rule `c2s annotate --noisy-copies` applies to the copies of one cell), and each cell gets
/// the label of the highest mean. Readings of different views of a cell (its whole sentence,
/// its sentence over the highly variable genes) disagree on different cells, so the combination
/// is right more often than either (docs/SCIENCE.md §5e). The workflow behind `c2s
/// combine-annotations`; written only when every input agrees on cells and labels.
public enum AnnotationCombining {
    public struct Result: Sendable {
        public var cells: Int
        public var labels: [String]
        /// Per input: the cells whose own label is the combined one.
        public var agreement: [Int]
    }

    static let scorePrefix = "c2s_score_"

    /// One input's per-label scores, by cell name.
    struct Reading {
        var path: String
        var obs: DataFrame
        /// Score columns' labels, as the columns name them (`ResultTable.columnName` of the label).
        var columns: [String]
        var rowOf: [String: Int]
        var scores: [[Double]]
        var labels: [String?]
    }

    public static func run(_ s: AnnotationCombiningSettings) throws -> Result {
        guard s.inputs.count >= 2 else { throw DataError("give at least two annotation results to combine, not \(s.inputs.count)") }
        let same = { (a: String, b: String) in URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path }
        for path in [s.output, s.csvPath] {
            if let input = s.inputs.first(where: { same($0, path) }) { throw FileError(path, "would replace the input \(input)") }
            guard FileManager.default.fileExists(atPath: path) else { continue }
            if !s.overwrite { throw FileError(path, "already exists; pass --overwrite to replace it") }
            // --overwrite replaces only an earlier annotation result, never another file of the user's.
            guard isAnnotationResult(path, csv: path == s.csvPath) else {
                throw FileError(path, "is not an earlier c2s annotation result (no c2s_label column); not replaced: name another output")
            }
        }
        if same(s.output, s.csvPath) { throw FileError(s.csvPath, "the CSV output would replace the .h5ad output; name it with --csv PATH") }
        let readings = try s.inputs.map(read)

        // Labels: the first reading's columns; every other must have the same set.
        let first = readings[0]
        for r in readings.dropFirst() where Set(r.columns) != Set(first.columns) {
            throw FileError(r.path, "scores other labels than \(first.path) (\(r.columns.sorted().joined(separator: ", ")) against \(first.columns.sorted().joined(separator: ", ")))")
        }
        for r in readings.dropFirst() {
            if r.obs.index.count != first.obs.index.count {
                throw FileError(r.path, "has \(r.obs.index.count) cells, \(first.path) has \(first.obs.index.count); combine readings of the same cells")
            }
            if let missing = first.obs.index.first(where: { r.rowOf[$0] == nil }) {
                throw FileError(r.path, "has no cell '\(missing)' of \(first.path); combine readings of the same cells")
            }
        }
        // A label's own spelling, from the labels the readings chose (a column name may have
        // had '/' replaced).
        var spelled: [String: String] = [:]
        for r in readings { for case let l? in r.labels { spelled[ResultTable.columnName(scorePrefix + l)] = l } }
        let labels = first.columns.map { spelled[ResultTable.columnName(scorePrefix + $0)] ?? $0 }

        let n = first.obs.index.count, k = first.columns.count
        var combined = [[Double]](repeating: [Double](repeating: 0, count: k), count: n)
        for r in readings {
            let order = first.columns.map { c in r.columns.firstIndex(of: c)! }
            for (i, name) in first.obs.index.enumerated() {
                let row = r.scores[r.rowOf[name]!]
                for j in 0..<k { combined[i][j] += row[order[j]] / Double(readings.count) }
            }
        }
        var chosen: [String?] = [], best: [Double?] = [], probability: [Double?] = []
        var agreement = [Int](repeating: 0, count: readings.count)
        for (i, name) in first.obs.index.enumerated() {
            let row = combined[i]
            guard row.allSatisfy(\.isFinite) else {
                throw DataError("cell '\(name)' has a missing or infinite score in one of the readings; annotate it again")
            }
            var b = 0
            for j in row.indices where row[j] > row[b] { b = j }
            let total = row.reduce(0) { $0 + exp($1 - row[b]) }
            chosen.append(labels[b]); best.append(row[b]); probability.append(1 / total)
            for (m, r) in readings.enumerated() where r.labels[r.rowOf[name]!] == labels[b] { agreement[m] += 1 }
        }

        // The first reading's own columns (the cells' metadata), then the combined answer.
        var table = ResultTable()
        table.index = first.obs.index
        for column in first.obs.columns where !column.name.hasPrefix("c2s_") {
            table.add(column.name, (0..<n).map { column.values.text(at: $0) })
        }
        table.add("c2s_label", chosen)
        table.add("c2s_score", numbers: best)
        table.add("c2s_probability", numbers: probability)
        for (j, label) in labels.enumerated() { table.add(scorePrefix + label, numbers: combined.map { $0[j] }) }
        try table.writeH5AD(s.output)
        try table.writeCSV(s.csvPath, overwrite: true)
        return Result(cells: n, labels: labels, agreement: agreement)
    }

    /// Whether `path` is a table `c2s annotate` or this workflow wrote (a `c2s_label` column).
    static func isAnnotationResult(_ path: String, csv: Bool) -> Bool {
        if csv {
            guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 1 << 16) else { return false }
            try? handle.close()
            let header = String(decoding: head.prefix { $0 != 10 }, as: UTF8.self)
            return header.hasPrefix("cell_name,") && header.split(separator: ",").contains("c2s_label")
        }
        return (try? H5ADSource(path: path).obs.column("c2s_label")) != nil
    }

    /// The scores of one constrained annotation result.
    static func read(_ path: String) throws -> Reading {
        guard FileManager.default.fileExists(atPath: path) else { throw FileError(path, "no such file") }
        let obs = try H5ADSource(path: path).obs
        let columns = obs.columns.filter { $0.name.hasPrefix(scorePrefix) }
        guard !columns.isEmpty, let labelColumn = obs.column("c2s_label") else {
            throw FileError(path, "has no per-label scores (c2s_label and c2s_score_<label> columns); combine results of 'c2s annotate --mode constrained'")
        }
        var rowOf: [String: Int] = [:]
        for (i, name) in obs.index.enumerated() {
            guard rowOf.updateValue(i, forKey: name) == nil else { throw FileError(path, "cell '\(name)' appears twice") }
        }
        let scores = (0..<obs.rowCount).map { i in columns.map { Double($0.values.text(at: i) ?? "") ?? .nan } }
        return Reading(path: path, obs: obs, columns: columns.map { String($0.name.dropFirst(scorePrefix.count)) }, rowOf: rowOf,
                       scores: scores, labels: (0..<obs.rowCount).map { labelColumn.values.text(at: $0) })
    }
}
