/// Precision, recall and F1 of one class.
public struct ClassScores: Codable, Sendable, Equatable {
    public var label: String
    /// tp / (tp + fp); 0 when the class is never predicted (scikit-learn's `zero_division`
    /// default, which warns and scores 0).
    public var precision: Double
    /// tp / (tp + fn); 0 when the class never occurs in the truth.
    public var recall: Double
    /// 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall (0 when tp = 0).
    public var f1: Double
    /// Cells whose true label is this class.
    public var support: Int
    /// Cells predicted as this class.
    public var predicted: Int
}

/// Precision, recall and F1 averaged over classes.
public struct AveragedScores: Codable, Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
}

/// Agreement of predicted labels with true labels, as scikit-learn computes it:
/// `accuracy_score`, `precision_recall_fscore_support` (per class, `average="weighted"` and
/// `average="macro"`, `zero_division` left at its default: an undefined precision or recall
/// counts as 0) and `confusion_matrix`.
///
/// The classes are the union of true and predicted labels in ``ClassLabels`` order, as
/// scikit-learn's `unique_labels`. Weighted averages weight each class by its support (true
/// count), so a class that is predicted but never true has weight 0; macro averages weight every
/// class equally.
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    /// Cells compared.
    public var cells: Int
    /// Fraction of cells whose prediction equals the truth.
    @NullableMetric public var accuracy: Double
    /// Cells predicted correctly.
    public var correct: Int
    /// Classes in table order.
    public var labels: [String]
    /// One entry per class, in `labels` order.
    public var perClass: [ClassScores]
    public var weighted: AveragedScores
    public var macro: AveragedScores
    /// Counts with true labels as rows and predicted labels as columns, both in `labels` order.
    public var confusionMatrix: [[Int]]

    enum CodingKeys: String, CodingKey {
        case cells, accuracy, correct, labels, weighted, macro
        case perClass = "per_class", confusionMatrix = "confusion_matrix"
    }

    /// Scores `predicted` against `truth` (equal lengths).
    public init(truth: [String], predicted: [String]) {
        precondition(truth.count == predicted.count, "truth and predictions differ in length")
        let classes = ClassLabels(truth + predicted)
        let n = classes.count
        let t = classes.codes(truth), p = classes.codes(predicted)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: n), count: n)
        for i in 0..<t.count { confusion[Int(t[i])][Int(p[i])] += 1 }
        var scores: [ClassScores] = []
        var correct = 0
        for c in 0..<n {
            let tp = confusion[c][c]
            correct += tp
            let support = confusion[c].reduce(0, +)
            var predictedCount = 0
            for r in 0..<n { predictedCount += confusion[r][c] }
            let precision = predictedCount > 0 ? Double(tp) / Double(predictedCount) : 0
            let recall = support > 0 ? Double(tp) / Double(support) : 0
            let f1 = support + predictedCount > 0 ? 2 * Double(tp) / Double(support + predictedCount) : 0
            scores.append(ClassScores(label: classes.names[c], precision: precision, recall: recall, f1: f1,
                                      support: support, predicted: predictedCount))
        }
        cells = truth.count
        self.correct = correct
        accuracy = truth.isEmpty ? .nan : Double(correct) / Double(truth.count)
        labels = classes.names
        perClass = scores
        confusionMatrix = confusion
        weighted = Self.average(scores, weights: scores.map { Double($0.support) })
        macro = Self.average(scores, weights: scores.map { _ in 1 })
    }

    static func average(_ scores: [ClassScores], weights: [Double]) -> AveragedScores {
        let total = weights.reduce(0, +)
        guard total > 0 else { return AveragedScores(precision: 0, recall: 0, f1: 0) }
        var p = 0.0, r = 0.0, f = 0.0
        for (s, w) in zip(scores, weights) {
            p += w * s.precision; r += w * s.recall; f += w * s.f1
        }
        return AveragedScores(precision: p / total, recall: r / total, f1: f / total)
    }

    /// The per-class table as CSV: `label,precision,recall,f1,support,predicted`.
    public func perClassCSV() -> String {
        var out = "label,precision,recall,f1,support,predicted\n"
        for s in perClass {
            out += "\(CSVField.quote(s.label)),\(s.precision),\(s.recall),\(s.f1),\(s.support),\(s.predicted)\n"
        }
        return out
    }

    /// The confusion matrix as CSV: a header of predicted labels, then one row per true label.
    public func confusionCSV() -> String {
        var out = "true\\predicted," + labels.map(CSVField.quote).joined(separator: ",") + "\n"
        for (i, row) in confusionMatrix.enumerated() {
            out += CSVField.quote(labels[i]) + "," + row.map(String.init).joined(separator: ",") + "\n"
        }
        return out
    }
}
