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
    /// The mean-profile Pearson of real cells drawn as many as were generated, against the rest
    /// of their type (the real-vs-real reference); optional for older reports.
    public var profileCeiling: ProfileCeilingResult?
    /// The registered metrics (``GenerationMetrics``), each in the JSON under its own key.
    public var registered: MetricValues<GenerationMetricInput>
    public var warnings: [String]
    /// Wall time of each stage (reading the files is not included).
    public var timings: [StageTiming]

    public var sentenceQuality: SentenceQualitySection? {
        get { registered[SentenceQualityMetric.self] }
        set { registered[SentenceQualityMetric.self] = newValue }
    }
    public var mmd: MMDSection? {
        get { registered[MMDMetric.self] }
        set { registered[MMDMetric.self] = newValue }
    }
    public var gromovWasserstein: GromovWassersteinSection? {
        get { registered[GromovWassersteinMetric.self] }
        set { registered[GromovWassersteinMetric.self] = newValue }
    }

    public init(settings: GenerationSettings, inputs: [InputSummary], sharedGenes: Int, pca: PCASummary?, knn: [KNNAccuracyRow],
                knnChance: Double?, knnMixMatched: [MixMatchedCeiling]?, meanProfiles: MeanProfileResult, profileNull: ProfileNullResult?,
                profileCeiling: ProfileCeilingResult? = nil, registered: MetricValues<GenerationMetricInput>, warnings: [String], timings: [StageTiming]) {
        self.settings = settings
        self.inputs = inputs
        self.sharedGenes = sharedGenes
        self.pca = pca
        self.knn = knn
        self.knnChance = knnChance
        self.knnMixMatched = knnMixMatched
        self.meanProfiles = meanProfiles
        self.profileNull = profileNull
        self.profileCeiling = profileCeiling
        self.registered = registered
        self.warnings = warnings
        self.timings = timings
    }

    enum CodingKeys: String, CodingKey {
        case settings, inputs, pca, knn, warnings, timings
        case sharedGenes = "shared_genes", meanProfiles = "mean_profiles"
        case knnChance = "knn_chance", knnMixMatched = "knn_real_vs_real_generated_mix", profileNull = "profile_null"
        case profileCeiling = "profile_real_vs_real"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        settings = try c.decode(GenerationSettings.self, forKey: .settings)
        inputs = try c.decode([InputSummary].self, forKey: .inputs)
        sharedGenes = try c.decode(Int.self, forKey: .sharedGenes)
        pca = try c.decodeIfPresent(PCASummary.self, forKey: .pca)
        knn = try c.decode([KNNAccuracyRow].self, forKey: .knn)
        knnChance = try c.decodeIfPresent(Double.self, forKey: .knnChance)
        knnMixMatched = try c.decodeIfPresent([MixMatchedCeiling].self, forKey: .knnMixMatched)
        meanProfiles = try c.decode(MeanProfileResult.self, forKey: .meanProfiles)
        profileNull = try c.decodeIfPresent(ProfileNullResult.self, forKey: .profileNull)
        profileCeiling = try c.decodeIfPresent(ProfileCeilingResult.self, forKey: .profileCeiling)
        registered = try MetricValues(from: decoder, metrics: GenerationMetrics.all)
        warnings = try c.decode([String].self, forKey: .warnings)
        timings = try c.decode([StageTiming].self, forKey: .timings)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(settings, forKey: .settings)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(sharedGenes, forKey: .sharedGenes)
        try c.encodeIfPresent(pca, forKey: .pca)
        try c.encode(knn, forKey: .knn)
        try c.encodeIfPresent(knnChance, forKey: .knnChance)
        try c.encodeIfPresent(knnMixMatched, forKey: .knnMixMatched)
        try c.encode(meanProfiles, forKey: .meanProfiles)
        try c.encodeIfPresent(profileNull, forKey: .profileNull)
        try c.encodeIfPresent(profileCeiling, forKey: .profileCeiling)
        try registered.encode(to: encoder)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(timings, forKey: .timings)
    }
}
