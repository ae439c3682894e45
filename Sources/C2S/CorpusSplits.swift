import CellSentences
import Foundation
import Prompts
import SingleCell

/// How the cells of a corpus are split: by groups that never straddle two splits, the groups
/// made within each dataset.
///
/// The corpus's cells are named `DATASET/CELL`, and each carries its dataset's name in the
/// column `dataset`. Splitting is always grouped by `dataset` first: by default whole datasets
/// are the groups (no study leaks from training into evaluation); with obs columns such as
/// `donor` the groups are (dataset, donor) pairs, so equal donor ids in two datasets are two
/// groups. `SplitPlan.assign` allocates the groups (stratified by `stratifyBy` when given).
public enum CorpusSplits {
    /// The column holding a cell's dataset name; `--group-by dataset` is the default grouping.
    public static let datasetColumn = "dataset"

    /// The columns a corpus's cells are grouped by: `dataset`, then `groupBy`'s other columns.
    public static func groupColumns(_ groupBy: [String]) -> [String] {
        var columns = [datasetColumn]
        for c in groupBy where !columns.contains(c) { columns.append(c) }
        return columns
    }

    /// A cell's name in the corpus: its dataset's name, "/", its own name.
    public static func cellName(dataset: String, cell: String) -> String { dataset + "/" + cell }

    /// The record one cell is split by: its corpus name, its dataset, and its values of
    /// `columns` (those it has; the others are missing, i.e. "NA" to the split plan).
    static func record(dataset: String, cell: CellRecord, columns: [String]) -> CellRecord {
        var fields = [datasetColumn: dataset]
        for c in columns where c != datasetColumn { if let v = cell.fields[c] { fields[c] = v } }
        return CellRecord(name: cellName(dataset: dataset, cell: cell.name), sentence: "", fields: fields)
    }

    /// Checks that a source has every column the splits need; the error names the source's
    /// folder and the column.
    static func checkColumns(_ columns: [String], role: String, table: CellTable, folder: String) throws {
        for c in columns where c != datasetColumn && c != "cell_name" && !table.fieldNames.contains(c) {
            throw DataError("\(folder): \(role) column '\(c)' is not in the dataset; columns: \(table.fieldNames.joined(separator: ", "))")
        }
    }

    /// What the corpus's first pass gathers for the splits, source after source, without
    /// holding any source's cells after it: the tally of cells per group and label that new
    /// splits are made from (`GroupedSplitTally`), or how well a reused plan covers the cells.
    /// The second pass asks it each cell's split.
    struct Pass {
        let reused: SplitPlan?
        private(set) var tally: GroupedSplitTally
        /// The columns a cell's record for the splits keeps.
        let columns: [String]
        private var cells = 0, missing = 0, missingExamples: [String] = []
        private var reusedPerSplit = [0, 0, 0]

        init(reused: SplitPlan?, groupBy: [String], stratifyBy: String?, columns: [String]) {
            self.reused = reused
            tally = GroupedSplitTally(groupBy: groupBy, stratifyBy: stratifyBy)
            self.columns = columns
        }

        /// Counts a source's cells. Throws `DataError` for cell names it repeats (a corpus's
        /// names, `DATASET/CELL`, can only repeat within a source).
        mutating func add(source: String, table: CellTable) throws {
            let records = table.cells.map { record(dataset: source, cell: $0, columns: columns) }
            _ = try SplitPlan.uniquelyNamed(records.map(\.name))
            cells += records.count
            for r in records {
                if let reused {
                    if let split = reused.split(of: r.name), let k = SplitPlan.splitNames.firstIndex(of: split) {
                        reusedPerSplit[k] += 1
                    } else {
                        missing += 1
                        if missingExamples.count < 3 { missingExamples.append(r.name) }
                    }
                } else {
                    tally.add(r)
                }
            }
        }

        /// Throws when the reused plan at `path` lacks some of the cells counted.
        func checkCoverage(path: String) throws {
            if let error = SplitPlan.coverageError(missing: missing, of: cells, examples: missingExamples, path: path) { throw error }
        }

        /// Cells per split (train, validation, test), the groups going to `groupSplits`'s splits.
        func cellsPerSplit(_ groupSplits: [[String]: Int]) -> [Int] {
            reused == nil ? tally.cellsPerSplit(groupSplits) : reusedPerSplit
        }

        /// The split index of every cell of a source's `table` (names as the source has them),
        /// in its order: the reused plan's, or its group's in `groupSplits`.
        func splits(of table: CellTable, source: String, plan: SplitPlan, groupSplits: [[String]: Int]) throws -> [Int] {
            try table.cells.map { cell in
                let r = record(dataset: source, cell: cell, columns: columns)
                let k = reused == nil ? groupSplits[tally.key(of: r)] : plan.split(of: r.name).flatMap { SplitPlan.splitNames.firstIndex(of: $0) }
                guard let k else { throw DataError("\(source): cell \(cell.name) was not in the dataset when the splits were made: it changed while the corpus was built") }
                return k
            }
        }
    }
}
