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

/// One input file as the evaluation used it.
public struct InputSummary: Codable, Sendable {
    /// "generated", "real" or "real_train" (or the role in other evaluations).
    public var role: String
    public var path: String
    public var cells: Int
    public var genes: Int
    /// Of its genes, how many were not shared with the other files.
    public var genesNotShared: Int
    /// Cells left out for having no label.
    public var cellsWithoutLabel: Int

    enum CodingKeys: String, CodingKey {
        case role, path, cells, genes, genesNotShared = "genes_not_shared", cellsWithoutLabel = "cells_without_label"
    }
}

/// The principal components used for the expression-space metrics.
public struct PCASummary: Codable, Sendable {
    public var components: Int
    /// Which cells the components were fitted on.
    public var fittedOn: String
    public var explainedVarianceRatio: [Double]

    enum CodingKeys: String, CodingKey {
        case components, fittedOn = "fitted_on", explainedVarianceRatio = "explained_variance_ratio"
    }
}

/// Validity, uniqueness and length with where the sentences came from.
public struct SentenceQualitySection: Codable, Sendable {
    /// "obs column cell_sentence checked against the real genes", or the reconstruct counts.
    public var source: String
    public var metrics: SentenceQuality
}

/// MMD between subsamples of generated and real cells.
public struct MMDSection: Codable, Sendable {
    public var space: String
    public var result: MMDResult
}

/// Gromov-Wasserstein between subsamples of generated and real cells.
public struct GromovWassersteinSection: Codable, Sendable {
    public var space: String
    public var generatedCells: Int
    public var realCells: Int
    /// Both distance matrices were divided by this number: the largest distance between the
    /// real cells of the subsample (keeps the entropic kernel in range and the two sets on one scale).
    public var distanceScale: Double
    public var settings: GromovWassersteinSettings
    public var result: GromovWassersteinResult

    enum CodingKeys: String, CodingKey {
        case space, settings, result
        case generatedCells = "generated_cells", realCells = "real_cells", distanceScale = "distance_scale"
    }
}

/// Wall time of one stage of an evaluation.
public struct StageTiming: Codable, Sendable {
    public var stage: String
    public var seconds: Double
}

/// Everything `c2s evaluate generation` measures.
public struct GenerationReport: Codable, Sendable {
    public var settings: GenerationSettings
    public var inputs: [InputSummary]
    /// Genes shared by the files (the expression space), in the real file's order.
    public var sharedGenes: Int
    public var pca: PCASummary?
    /// The k-NN table: generated vs real and the real-vs-real reference, in expression (or
    /// PCA) space and in sentence space.
    public var knn: [KNNAccuracyRow]
    public var meanProfiles: MeanProfileResult
    public var sentenceQuality: SentenceQualitySection?
    public var mmd: MMDSection?
    public var gromovWasserstein: GromovWassersteinSection?
    public var warnings: [String]
    /// Wall time of each stage (reading the files is not included).
    public var timings: [StageTiming]

    enum CodingKeys: String, CodingKey {
        case settings, inputs, pca, knn, mmd, warnings, timings
        case sharedGenes = "shared_genes", meanProfiles = "mean_profiles", sentenceQuality = "sentence_quality"
        case gromovWasserstein = "gromov_wasserstein"
    }
}
