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
    /// The k-NN table, in expression (or PCA) space and in sentence space: generated vs real,
    /// the real-vs-real reference, and generated vs generated (leave-one-out: how well the
    /// generated cells of different labels separate from each other, the paper's Table 3).
    public var knn: [KNNAccuracyRow]
    /// 1 / number of real cell types: the k-NN accuracy of a random guess. Optional so that
    /// reports written before it was added still decode.
    public var knnChance: Double?
    /// The real-vs-real rows reweighted to the generated cells' label mix (the ceiling on the
    /// cells actually generated); optional for older reports.
    public var knnMixMatched: [MixMatchedCeiling]?
    public var meanProfiles: MeanProfileResult
    /// The mean-profile Pearson of a generator that ignores the label (each type's real mean
    /// against the mean of all real cells); optional for older reports.
    public var profileNull: ProfileNullResult?
    public var sentenceQuality: SentenceQualitySection?
    public var mmd: MMDSection?
    public var gromovWasserstein: GromovWassersteinSection?
    public var warnings: [String]
    /// Wall time of each stage (reading the files is not included).
    public var timings: [StageTiming]

    enum CodingKeys: String, CodingKey {
        case settings, inputs, pca, knn, mmd, warnings, timings
        case sharedGenes = "shared_genes", meanProfiles = "mean_profiles", sentenceQuality = "sentence_quality"
        case knnChance = "knn_chance", knnMixMatched = "knn_real_vs_real_generated_mix", profileNull = "profile_null"
        case gromovWasserstein = "gromov_wasserstein"
    }
}
