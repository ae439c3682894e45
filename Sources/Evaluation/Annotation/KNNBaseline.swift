import Foundation
import Mechanics
import SingleCell

/// The k-nearest-neighbour classifier that a model's annotation accuracy is compared with:
/// held-out cells take the majority type of their k nearest training cells (Euclidean distance
/// on log-normalised expression), scikit-learn's `KNeighborsClassifier(n_neighbors: k)`.
public struct KNNBaselineReport: Codable, Sendable {
    /// The expression file the cells were read from.
    public var path: String
    public var k: Int
    /// Each cell scaled to this total, then log10(1 + x) (Euclidean neighbours are the same
    /// with any log base).
    public var normalizeTarget: Double
    public var trainCells: Int
    public var genes: Int
    public var metrics: ClassificationMetrics

    enum CodingKeys: String, CodingKey {
        case path, k, genes, metrics
        case normalizeTarget = "normalize_target", trainCells = "train_cells"
    }
}

public enum KNNBaseline {
    /// Classifies `test` by majority vote of its `k` nearest rows of `train` (ties between
    /// classes go to the first in ``ClassLabels`` order, between equally near cells to
    /// scikit-learn's heap order) and scores the result against `testLabels`.
    public static func run(path: String, train: ExpressionMatrix, trainLabels: [String], test: ExpressionMatrix, testLabels: [String],
                           k: Int, normalizeTarget: Double, threads: Int = Parallel.defaultThreads) throws -> KNNBaselineReport {
        guard train.matrix.rowCount >= k else {
            throw DataError("\(path): the k-NN baseline needs at least \(k) training cells, found \(train.matrix.rowCount)")
        }
        guard test.matrix.rowCount > 0 else { throw DataError("\(path): no test cells for the k-NN baseline") }
        let x = train.logNormalized(target: normalizeTarget).matrix
        let q = test.logNormalized(target: normalizeTarget).matrix
        let classes = ClassLabels(trainLabels)
        let lists = EuclideanNeighbors.search(queries: q, references: x, ks: [k], rule: .scikitLearnHeap, threads: threads)
        let codes = NeighborVote.predict(lists[0], k: k, referenceCodes: classes.codes(trainLabels), classCount: classes.count)
        let predicted = codes.map { classes.names[Int($0)] }
        return KNNBaselineReport(path: path, k: k, normalizeTarget: normalizeTarget, trainCells: x.rowCount,
                                 genes: x.columnCount, metrics: ClassificationMetrics(truth: testLabels, predicted: predicted))
    }
}
