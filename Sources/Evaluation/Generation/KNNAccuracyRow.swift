/// Accuracy of a k-NN vote at one k.
public struct KNNAccuracy: Codable, Sendable, Equatable {
    public var k: Int
    /// Fraction of query cells whose vote equals their own label.
    public var accuracy: Double
    public var correct: Int
}

/// k-NN accuracy of the query cells of one label.
public struct LabelKNNAccuracy: Codable, Sendable, Equatable {
    public var label: String
    public var cells: Int
    /// Accuracy at each k of the row, in the row's order.
    public var accuracy: [Double]
}

/// One row of the k-NN table: query cells classified by a k-NN vote among reference cells,
/// scored against the query cells' own labels.
public struct KNNAccuracyRow: Codable, Sendable {
    /// What is classified by what, e.g. "generated vs real".
    public var name: String
    /// "expression", "pca" or "sentence".
    public var space: String
    /// The query and reference cells, in words (file names, leave-one-out).
    public var queries: String
    public var references: String
    public var queryCount: Int
    public var referenceCount: Int
    /// How ties at the k-th neighbour are resolved.
    public var tieRule: NeighborTieRule
    public var scores: [KNNAccuracy]
    /// Requested k larger than the references allow (not scored).
    public var skippedK: [Int]
    public var perLabel: [LabelKNNAccuracy]
    /// Query labels that no reference cell has (such cells are always wrong).
    public var labelsWithoutReferences: [String]

    enum CodingKeys: String, CodingKey {
        case name, space, queries, references, scores
        case queryCount = "query_count", referenceCount = "reference_count", tieRule = "tie_rule"
        case skippedK = "skipped_k", perLabel = "per_label", labelsWithoutReferences = "labels_without_references"
    }

    /// Scores neighbour lists (one per k in `ks`) of queries labelled `queryLabels` among
    /// references labelled `referenceLabels`.
    public init(name: String, space: String, queries: String, references: String, lists: [NeighborLists], ks: [Int],
                skippedK: [Int], queryLabels: [String], referenceLabels: [String], tieRule: NeighborTieRule) {
        let classes = ClassLabels(referenceLabels)
        let codes = classes.codes(referenceLabels)
        let truth = classes.codes(queryLabels)
        let queryClasses = ClassLabels(queryLabels)
        var perLabelCorrect = [[Int]](repeating: [Int](repeating: 0, count: ks.count), count: queryClasses.count)
        var labelCells = [Int](repeating: 0, count: queryClasses.count)
        for l in queryLabels { labelCells[Int(queryClasses.code(l)!)] += 1 }
        var scores: [KNNAccuracy] = []
        for (i, (k, list)) in zip(ks, lists).enumerated() {
            let predicted = NeighborVote.predict(list, k: k, referenceCodes: codes, classCount: classes.count)
            var correct = 0
            for q in 0..<predicted.count where predicted[q] == truth[q] {
                correct += 1
                perLabelCorrect[Int(queryClasses.code(queryLabels[q])!)][i] += 1
            }
            scores.append(KNNAccuracy(k: k, accuracy: queryLabels.isEmpty ? .nan : Double(correct) / Double(queryLabels.count), correct: correct))
        }
        self.name = name
        self.space = space
        self.queries = queries
        self.references = references
        queryCount = queryLabels.count
        referenceCount = referenceLabels.count
        self.tieRule = tieRule
        self.scores = scores
        self.skippedK = skippedK
        perLabel = queryClasses.names.enumerated().map { c, label in
            LabelKNNAccuracy(label: label, cells: labelCells[c], accuracy: perLabelCorrect[c].map { Double($0) / Double(labelCells[c]) })
        }
        labelsWithoutReferences = queryClasses.names.filter { classes.code($0) == nil }
    }
}
