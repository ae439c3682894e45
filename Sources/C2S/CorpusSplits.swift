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
}
