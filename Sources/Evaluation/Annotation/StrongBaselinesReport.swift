/// What ``StrongBaselines`` measured, under "baselines" in `c2s evaluate annotation`'s JSON.
public struct StrongBaselinesReport: Codable, Sendable {
    public var hvg: HVGSelectionReport
    public var logisticRegressionHVG: LogisticRegressionBaselineReport
    public var knnPCAHVG: KNNPCABaselineReport
    public var chance: ChanceLevels

    enum CodingKeys: String, CodingKey {
        case hvg, chance
        case logisticRegressionHVG = "logistic_regression_hvg", knnPCAHVG = "knn_pca_hvg"
    }
}

/// The highly variable genes both baselines use.
public struct HVGSelectionReport: Codable, Sendable {
    /// scanpy's flavour name.
    public var flavor = "seurat"
    /// `n_top_genes` asked for.
    public var requested: Int
    /// Genes selected (more on a tie at the cut, fewer when fewer genes vary).
    public var selected: Int
    /// Genes of the expression file.
    public var candidateGenes: Int
    /// The cells they were chosen on: the train split only.
    public var trainCells: Int
    /// Each cell scaled to this total, then ln(1 + x).
    public var normalizeTarget: Double
    public var log = "natural"

    enum CodingKeys: String, CodingKey {
        case flavor, requested, selected, log
        case candidateGenes = "candidate_genes", trainCells = "train_cells", normalizeTarget = "normalize_target"
    }
}

/// Logistic regression on the log-normalised HVGs.
public struct LogisticRegressionBaselineReport: Codable, Sendable {
    public var genes: Int
    public var trainCells: Int
    /// Inverse L2 regularisation strength (scikit-learn's C).
    public var c: Double
    /// Whether features were standardised (they are not: the log values are the stronger baseline).
    public var standardized: Bool
    public var iterations: Int
    /// Largest gradient component of the mean loss at the end (scikit-learn's scale).
    public var gradientMaxNorm: Double
    public var converged: Bool
    public var seconds: Double
    public var metrics: ClassificationMetrics

    enum CodingKeys: String, CodingKey {
        case genes, c, standardized, iterations, converged, seconds, metrics
        case trainCells = "train_cells", gradientMaxNorm = "gradient_max_norm"
    }
}

/// k-NN majority vote on principal components of the scaled HVGs.
public struct KNNPCABaselineReport: Codable, Sendable {
    public var genes: Int
    public var trainCells: Int
    public var k: Int
    /// Components used: the number asked for, at most the genes and train cells - 1.
    public var components: Int
    /// Scaled values are clipped to ±this (scanpy's `scale(max_value=10)`).
    public var scaleMaxValue: Double
    /// Share of the scaled train cells' variance the components keep.
    public var explainedVarianceRatio: Double
    public var metrics: ClassificationMetrics

    enum CodingKeys: String, CodingKey {
        case genes, k, components, metrics
        case trainCells = "train_cells", scaleMaxValue = "scale_max_value", explainedVarianceRatio = "explained_variance_ratio"
    }
}

/// What guessing scores on the evaluated cells.
public struct ChanceLevels: Codable, Sendable {
    /// Classes in the train split.
    public var classes: Int
    /// 1 / classes.
    public var uniform: Double
    /// The train split's most frequent class (the first in class order on a tie).
    public var majorityClass: String
    /// Accuracy of always answering it.
    public var majorityClassAccuracy: Double

    enum CodingKeys: String, CodingKey {
        case classes, uniform
        case majorityClass = "majority_class", majorityClassAccuracy = "majority_class_accuracy"
    }
}
