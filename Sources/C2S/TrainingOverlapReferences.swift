import CellSentences
import Evaluation
import Prompts
import SingleCell

extension TrainingOverlap.References {
    /// The split of a splits.json that holds the cells the model was trained on.
    public static let trainingSplit = "train"

    /// The cells a model was trained on (split "train" of `splits`) and the held-out cells of
    /// split `heldOutSplit`, from the sentence dataset `sentences`, each as its first `genes`
    /// words, the held-out ones with their `labelColumn` value. Errors name the file.
    public static func load(sentences: String, splits: String, heldOutSplit: String, labelColumn: String,
                            genes: Int, threads: Int) throws -> Self {
        let training = trainingSplit
        guard heldOutSplit != training else {
            throw DataError("the held-out split of the training overlap cannot be '\(training)' (the cells it compares against)")
        }
        let table = try CellTable.load(sentences, maxGenes: genes, threads: threads)
        let plan = try SplitPlan.read(path: splits)
        func cells(of split: String) throws -> [CellRecord] {
            var selection = CellSelection()
            selection.splits = plan
            selection.split = split
            do {
                return try selection.apply(to: table).map { table.cells[$0] }
            } catch let e as DataError {
                throw FileError(splits, e.message)
            }
        }
        func words(_ cell: CellRecord) -> [String] { cell.topGenes(genes).text.split(separator: " ").map(String.init) }
        let trained = try cells(of: training), heldOut = try cells(of: heldOutSplit)
        return Self(training: trained.map(words), heldOut: heldOut.map { (words($0), $0.fields[labelColumn]) },
                    source: "\(sentences), splits '\(training)' (\(trained.count) cells) and '\(heldOutSplit)' (\(heldOut.count)) of \(splits)")
    }
}
