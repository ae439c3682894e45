/// The settings of a UMAP (McInnes, Healy & Melville 2018), named and defaulted as in
/// umap-learn's `UMAP` class.
public struct UMAPSettings: Sendable, Codable, Equatable {
    /// Neighbours per point in the k-nearest-neighbour graph, the point itself included
    /// (umap-learn's `n_neighbors`).
    public var neighbors = 15
    /// Smallest distance between embedded points the curve 1 / (1 + a d^(2b)) keeps apart.
    public var minDist = 0.1
    /// Scale of the embedded distances (with `minDist`, fixes a and b).
    public var spread = 1.0
    /// Epochs of the layout; nil: 500 for at most 10,000 points, else 200 (umap-learn's default).
    public var epochs: Int?
    /// Negative samples per positive sample.
    public var negativeSampleRate = 5
    /// Starting learning rate, decaying linearly to 0.
    public var learningRate = 1.0
    /// Weight of the repulsive (negative-sample) term.
    public var repulsionStrength = 1.0
    /// Seeds the initial noise, the random layout of tiny components and the negative samples.
    public var seed: UInt64 = 0
    /// How the layout starts.
    public var initialization = Initialization.spectral

    public enum Initialization: String, Sendable, Codable {
        /// The normalised graph Laplacian's smallest non-trivial eigenvectors, per connected
        /// component (umap-learn's `init="spectral"`).
        case spectral
        /// Uniform in [-10, 10]^2 (umap-learn's `init="random"`).
        case random
    }

    public init() {}

    /// The epochs used for `points` points.
    public func epochCount(points: Int) -> Int { epochs ?? (points <= 10_000 ? 500 : 200) }

    /// The epochs used when transforming `points` new points: a third of `epochs` when given,
    /// else 100 for at most 10,000 points and 30 beyond (umap-learn's `transform`).
    public func transformEpochCount(points: Int) -> Int {
        if let epochs { return max(1, epochs / 3) }
        return points <= 10_000 ? 100 : 30
    }
}
