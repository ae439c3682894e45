/// What the baselines of `c2s evaluate annotation` were fitted and scored on, recorded beside
/// them (JSON "baseline_inputs"). A second evaluation of the same cells (the free answers after
/// the constrained ones) reuses them when every field is equal (`--baselines-from`): fitting the
/// logistic regression to its optimum takes 15-50 s on the project's datasets, and the figures
/// would be the same.
public struct AnnotationBaselineInputs: Codable, Sendable, Equatable {
    /// SHA-256 of the expression file, which gives the cells' counts and true labels.
    public var expressionSHA256: String
    /// SHA-256 of the splits.json whose train split the baselines were fitted on.
    public var splitsSHA256: String
    public var truthColumn: String
    /// The evaluated rows, in order: how many, and the SHA-256 of their cell names, one per line.
    public var rows: Int
    public var rowsSHA256: String
    public var k: Int
    public var normalizeTarget: Double
    /// Highly variable genes and principal components of the strong baselines; nil when the
    /// strong baselines were not fitted.
    public var hvg: Int?
    public var pcaComponents: Int?

    public init(expressionSHA256: String, splitsSHA256: String, truthColumn: String, rows: Int, rowsSHA256: String,
                k: Int, normalizeTarget: Double, hvg: Int?, pcaComponents: Int?) {
        self.expressionSHA256 = expressionSHA256
        self.splitsSHA256 = splitsSHA256
        self.truthColumn = truthColumn
        self.rows = rows
        self.rowsSHA256 = rowsSHA256
        self.k = k
        self.normalizeTarget = normalizeTarget
        self.hvg = hvg
        self.pcaComponents = pcaComponents
    }

    enum CodingKeys: String, CodingKey {
        case k, hvg, rows
        case expressionSHA256 = "expression_sha256", splitsSHA256 = "splits_sha256", truthColumn = "truth_column"
        case rowsSHA256 = "rows_sha256", normalizeTarget = "normalize_target", pcaComponents = "pca_components"
    }

    /// What differs from `other` (the earlier run's inputs), in words for an error message;
    /// empty when the inputs are the same.
    public func differences(from other: AnnotationBaselineInputs) -> [String] {
        var d: [String] = []
        if expressionSHA256 != other.expressionSHA256 { d.append("expression file (expression_sha256)") }
        if splitsSHA256 != other.splitsSHA256 { d.append("splits file (splits_sha256)") }
        if truthColumn != other.truthColumn { d.append("truth column ('\(other.truthColumn)' there, '\(truthColumn)' here)") }
        if rows != other.rows || rowsSHA256 != other.rowsSHA256 { d.append("evaluated cells (\(other.rows) rows there, \(rows) here, or another order)") }
        if k != other.k { d.append("k (\(other.k) there, \(k) here)") }
        if normalizeTarget != other.normalizeTarget { d.append("normalize target") }
        if hvg != other.hvg || pcaComponents != other.pcaComponents {
            if hvg == nil {
                d.append("strong baselines (fitted there, not asked for here)")
            } else if other.hvg == nil {
                d.append("strong baselines (not fitted there)")
            } else {
                d.append("strong baselines' HVGs or PCs (\(other.hvg!) / \(other.pcaComponents!) there, \(hvg!) / \(pcaComponents!) here)")
            }
        }
        return d
    }
}
