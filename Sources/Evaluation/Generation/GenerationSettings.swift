import Mechanics
import SingleCell

/// How `c2s evaluate generation` compares generated cells with real ones.
public struct GenerationSettings: Codable, Sendable {
    /// The obs column with each cell's cell type (in generated cells: the type it was
    /// conditioned on).
    public var labelColumn = "cell_type"
    /// The label column of the generated file when it differs from `labelColumn`.
    public var generatedLabelColumn: String?
    /// The obs column holding a cell's sentence (generated text), used when present.
    public var sentenceColumn = "cell_sentence"
    /// Neighbour counts of the k-NN table.
    public var ks = [5, 10, 25, 50]
    /// Principal components for expression-space k-NN, MMD and GW (nil: the shared genes).
    public var pcaComponents: Int?
    /// Words (genes) of each sentence compared in sentence space.
    public var sentenceGenes = 100
    /// Cells per set for MMD and for Gromov-Wasserstein (seeded subsamples when a set is larger).
    public var mmdCells = 1000
    public var gwCells = 500
    public var seed: UInt64 = 0
    public var gromovWasserstein = GromovWassersteinSettings()
    /// Log-normalise the real files (each cell to this total, then log10(1 + x)) before
    /// comparing; nil compares the values as stored.
    public var normalizeRealTarget: Double?
    public var threads = Parallel.defaultThreads

    public init() {}

    enum CodingKeys: String, CodingKey {
        case labelColumn = "label_column", generatedLabelColumn = "generated_label_column", sentenceColumn = "sentence_column"
        case ks = "k", pcaComponents = "pca_components", sentenceGenes = "sentence_genes", mmdCells = "mmd_cells"
        case gwCells = "gw_cells", seed, gromovWasserstein = "gromov_wasserstein", normalizeRealTarget = "normalize_real_target"
        case threads
    }
}
