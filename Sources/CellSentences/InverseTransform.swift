import Foundation
import Mechanics
import SingleCell

/// `expression = slope * log10(1 + rank0) + intercept`: the map from a gene's position in a
/// cell sentence back to its normalised expression.
public struct LinearRankModel: Codable, Sendable, Equatable {
    public var slope: Double
    public var intercept: Double

    public init(slope: Double, intercept: Double) {
        self.slope = slope
        self.intercept = intercept
    }

    // Too few points give NaN, which JSON cannot hold: stored as null.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        slope = try c.decodeIfPresent(Double.self, forKey: .slope) ?? .nan
        intercept = try c.decodeIfPresent(Double.self, forKey: .intercept) ?? .nan
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(slope.isFinite ? slope : nil, forKey: .slope)
        try c.encode(intercept.isFinite ? intercept : nil, forKey: .intercept)
    }

    enum CodingKeys: String, CodingKey { case slope, intercept }

    /// Whether the model could be fitted (enough distinct points).
    public var isUsable: Bool { slope.isFinite && intercept.isFinite }

    public static func == (a: LinearRankModel, b: LinearRankModel) -> Bool {
        (a.slope == b.slope || (a.slope.isNaN && b.slope.isNaN)) && (a.intercept == b.intercept || (a.intercept.isNaN && b.intercept.isNaN))
    }

    /// Expression of the gene at 0-based `position` (a mean position for duplicated genes),
    /// clipped at zero unless `clip` is false.
    @inlinable
    public func expression(atPosition position: Double, clip: Bool = true) -> Double {
        let v = slope * Foundation.log10(1 + position) + intercept
        return clip ? Swift.max(0, v) : v
    }
}

/// How well a model reproduces the actual values of a set of points.
public struct FitQuality: Codable, Sendable, Equatable {
    /// scikit-learn `r2_score(actual, reconstructed)`.
    public var rSquared: Double
    public var pearson: Double
    public var spearman: Double
    /// Non-zero entries evaluated, entries used for the fit, and cells they come from.
    public var points: Int
    public var fitPoints: Int
    public var cells: Int

    enum CodingKeys: String, CodingKey {
        case rSquared = "r_squared", pearson, spearman, points, fitPoints = "fit_points", cells
    }

    public init(rSquared: Double, pearson: Double, spearman: Double, points: Int, fitPoints: Int, cells: Int) {
        self.rSquared = rSquared
        self.pearson = pearson
        self.spearman = spearman
        self.points = points
        self.fitPoints = fitPoints
        self.cells = cells
    }

    // Undefined statistics (constant values, too few points) are NaN in memory, null in JSON.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rSquared = try c.decodeIfPresent(Double.self, forKey: .rSquared) ?? .nan
        pearson = try c.decodeIfPresent(Double.self, forKey: .pearson) ?? .nan
        spearman = try c.decodeIfPresent(Double.self, forKey: .spearman) ?? .nan
        points = try c.decode(Int.self, forKey: .points)
        fitPoints = try c.decode(Int.self, forKey: .fitPoints)
        cells = try c.decode(Int.self, forKey: .cells)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        for (key, v) in [(CodingKeys.rSquared, rSquared), (.pearson, pearson), (.spearman, spearman)] {
            try c.encode(v.isFinite ? v : nil, forKey: key)
        }
        try c.encode(points, forKey: .points)
        try c.encode(fitPoints, forKey: .fitPoints)
        try c.encode(cells, forKey: .cells)
    }

    public static func == (a: FitQuality, b: FitQuality) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return same(a.rSquared, b.rSquared) && same(a.pearson, b.pearson) && same(a.spearman, b.spearman)
            && a.points == b.points && a.fitPoints == b.fitPoints && a.cells == b.cells
    }
}

/// Settings of the inverse-transform fit.
public struct InverseTransformSettings: Codable, Sendable, Equatable {
    /// Cells sampled for the fit (the reference's 1024), per group when fitting by group.
    public var sampleSize = 1024
    public var seed: UInt64 = 0
    /// Only points with `log10(1 + rank0) <` this are fitted (the reference's 3: top 999 genes).
    public var logRankThreshold = 3.0
    /// An obs column to fit separately per value of (e.g. cell type), besides the global fit.
    public var groupColumn: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case sampleSize = "sample_size", seed, logRankThreshold = "log_rank_threshold", groupColumn = "group_column"
    }
}

/// The fit of one group: its own model, and how the global model does on the same cells.
public struct GroupFit: Codable, Sendable, Equatable {
    public var group: String
    public var model: LinearRankModel
    public var quality: FitQuality
    public var globalModelQuality: FitQuality

    enum CodingKeys: String, CodingKey {
        case group, model, quality, globalModelQuality = "global_model_quality"
    }
}

/// The stored result of fitting: written into `manifest.json` as `inverse_transform`.
public struct InverseTransformFit: Codable, Sendable, Equatable {
    public var settings: InverseTransformSettings
    public var model: LinearRankModel
    public var quality: FitQuality
    public var groups: [GroupFit]?
    /// Per-group models applied to every group's points, against the global model on the same points.
    public var pooledGroupQuality: FitQuality?
    public var pooledGlobalQuality: FitQuality?
    public var tieRule: String = "tied values occupy consecutive ranks and share a value, so the fit does not depend on their order"

    enum CodingKeys: String, CodingKey {
        case settings, model, quality, groups, pooledGroupQuality = "pooled_group_quality"
        case pooledGlobalQuality = "pooled_global_quality", tieRule = "tie_rule"
    }
}

/// The (log-rank, expression) points of a set of sampled cells.
public struct FitSample: Sendable {
    /// `log10(1 + rank0)` of each point.
    public var x: [Double] = []
    /// Normalised expression of each point.
    public var y: [Double] = []
    public var cells = 0

    public init() {}

    /// Adds a cell given its non-zero normalised values in any order.
    public mutating func add(cellValues values: [Float]) {
        let sorted = values.filter { $0 > 0 }.sorted(by: >)
        x.reserveCapacity(x.count + sorted.count)
        for (k, v) in sorted.enumerated() {
            x.append(Foundation.log10(1 + Double(k)))
            y.append(Double(v))
        }
        cells += 1
    }

    /// Quality of `model` on these points; `fitPoints` counts those below `threshold`.
    public func quality(of model: LinearRankModel, threshold: Double) -> FitQuality {
        let predicted = x.map { model.slope * $0 + model.intercept }
        return FitQuality(
            rSquared: Correlation.rSquared(actual: y, predicted: predicted),
            pearson: Correlation.pearson(y, predicted),
            spearman: Correlation.spearman(y, predicted),
            points: y.count, fitPoints: x.lazy.filter { $0 < threshold }.count, cells: cells)
    }

    /// Least squares on the points with `x < threshold`, evaluated on all points, without
    /// clipping (as the reference evaluates it).
    public func fit(threshold: Double) -> (LinearRankModel, FitQuality) {
        var fx: [Double] = [], fy: [Double] = []
        for i in 0..<x.count where x[i] < threshold {
            fx.append(x[i]); fy.append(y[i])
        }
        let line = LeastSquares.line(x: fx, y: fy)
        let model = LinearRankModel(slope: line.slope, intercept: line.intercept)
        return (model, quality(of: model, threshold: threshold))
    }

    public static func + (a: FitSample, b: FitSample) -> FitSample {
        var s = a
        s.x += b.x; s.y += b.y; s.cells += b.cells
        return s
    }
}

/// Chooses the cells of a fit and fits the inverse transform.
public enum InverseTransform {
    /// `min(size, candidates.count)` distinct candidates chosen by a seeded partial
    /// Fisher-Yates shuffle, in ascending order.
    public static func sample(_ candidates: [Int], size: Int, seed: UInt64) -> [Int] {
        samplePositions(count: candidates.count, size: size, seed: seed).map { candidates[$0] }.sorted()
    }

    /// The positions (among `count`) that `sample` picks, unsorted: the same partial
    /// Fisher-Yates shuffle, with the few swapped positions in a dictionary instead of a copy of
    /// every candidate.
    public static func samplePositions(count: Int, size: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed ^ 0x5EED_F17)
        let n = min(size, count)
        var moved: [Int: Int] = [:]  // position -> the position whose candidate now sits there
        var picked: [Int] = []
        picked.reserveCapacity(n)
        for i in 0..<n {
            let j = i + Int(rng.next(below: UInt64(count - i)))
            let atI = moved[i] ?? i, atJ = moved[j] ?? j
            moved[j] = atI
            picked.append(atJ)
        }
        return picked
    }

    /// Which input rows a fit needs: the global sample and, per group, a sample of that group.
    public static func plannedRows(keptCells: [Int], groups: [String]?, settings: InverseTransformSettings) -> (global: [Int], byGroup: [(String, [Int])]) {
        let global = sample(keptCells, size: settings.sampleSize, seed: settings.seed)
        guard let groups else { return (global, []) }
        return (global, groupSamples(keptCells: keptCells, groups: groups, settings: settings))
    }

    /// The same rows from the kept flags of every input row: the global sample picks positions
    /// among the kept cells and finds their rows in one walk over the flags, so no list of the
    /// kept cells is made; groups are read from their column in blocks (`GroupLabelColumn`).
    public static func plannedRows(cellKept: [Bool], keptCount: Int, groups: GroupLabelColumn?, settings: InverseTransformSettings) throws -> (global: [Int], byGroup: [(String, [Int])]) {
        let positions = samplePositions(count: keptCount, size: settings.sampleSize, seed: settings.seed).sorted()
        var global: [Int] = []
        global.reserveCapacity(positions.count)
        var next = 0, rank = 0
        for row in cellKept.indices where cellKept[row] {
            guard next < positions.count else { break }
            if rank == positions[next] { global.append(row); next += 1 }
            rank += 1
        }
        guard let groups else { return (global, []) }
        return (global, try groupSamples(cellKept: cellKept, labels: groups, settings: settings))
    }

    static func groupSamples(keptCells: [Int], groups: [String], settings: InverseTransformSettings) -> [(String, [Int])] {
        var members: [String: [Int]] = [:]
        var order: [String] = []
        for row in keptCells {
            let g = groups[row]
            if members[g] == nil { order.append(g) }
            members[g, default: []].append(row)
        }
        return order.sorted().enumerated().map { (k, g) in
            (g, sample(members[g]!, size: settings.sampleSize, seed: settings.seed &+ UInt64(k + 1)))
        }
    }

    /// Fits the global model on `global` and, when given, one model per group.
    public static func fit(
        settings: InverseTransformSettings, values: [Int: [Float]], global: [Int], byGroup: [(String, [Int])]
    ) -> InverseTransformFit {
        let samples = self.samples(values: values, global: global, byGroup: byGroup)
        let t = settings.logRankThreshold
        let (model, quality) = samples.global.fit(threshold: t)
        var result = InverseTransformFit(settings: settings, model: model, quality: quality)
        guard !samples.groups.isEmpty else { return result }
        var groups: [GroupFit] = []
        var pooled = FitSample()
        var pooledPredicted: [Double] = []
        for (name, s) in samples.groups {
            let (m, q) = s.fit(threshold: t)
            groups.append(GroupFit(group: name, model: m, quality: q, globalModelQuality: s.quality(of: model, threshold: t)))
            pooled = pooled + s
            pooledPredicted += s.x.map { m.slope * $0 + m.intercept }
        }
        result.groups = groups
        result.pooledGroupQuality = FitQuality(
            rSquared: Correlation.rSquared(actual: pooled.y, predicted: pooledPredicted),
            pearson: Correlation.pearson(pooled.y, pooledPredicted),
            spearman: Correlation.spearman(pooled.y, pooledPredicted),
            points: pooled.y.count, fitPoints: pooled.x.lazy.filter { $0 < t }.count, cells: pooled.cells)
        result.pooledGlobalQuality = pooled.quality(of: model, threshold: t)
        return result
    }
}
