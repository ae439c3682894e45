import SingleCell

/// Gathers the normalised values of the cells a fit samples while the input streams past, so
/// fitting costs no extra pass during conversion.
public final class FitValueCollector {
    /// The sampled rows (a few thousand at most), not a flag per cell.
    private let wanted: Set<Int>
    /// Normalised non-zero values of each collected cell, by input row.
    public private(set) var values: [Int: [Float]] = [:]

    public init(cellCount: Int, rows: [Int]) {
        wanted = Set(rows)
    }

    /// Takes the wanted rows of a filtered block (`PreprocessingPlan.apply(normalize: false)`).
    public func collect(_ matrix: CSRRows, rows: [Int], plan: PreprocessingPlan) {
        for (r, row) in rows.enumerated() where wanted.contains(row) {
            var v = Array(matrix.values[matrix.range(ofRow: r)])
            v.withUnsafeMutableBufferPointer { plan.normalize(row: $0) }
            values[row] = v
        }
    }
}

extension InverseTransform {
    /// The sampled cells' points, globally and per group, for reports.
    public struct Samples {
        public var global: FitSample
        public var groups: [(name: String, sample: FitSample)]
    }

    /// Reads `source` once more and gathers the normalised values of the cells `settings`
    /// samples (the same cells as the conversion's fit, since sampling is seeded).
    public static func collect(
        _ source: ExpressionSource, plan: PreprocessingPlan, settings: InverseTransformSettings,
        transform: ((CSRRows) throws -> CSRRows)?, threads: Int, blockSize: Int,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> (values: [Int: [Float]], global: [Int], byGroup: [(String, [Int])]) {
        let groups = try settings.groupColumn.map { try GroupLabelColumn(source, column: $0, blockSize: blockSize) }
        let planned = try plannedRows(cellKept: plan.cellKept, keptCount: plan.counts.cellsKept, groups: groups, settings: settings)
        let collector = FitValueCollector(cellCount: source.cellCount, rows: planned.global + planned.byGroup.flatMap(\.1))
        try BlockStream(source, blockSize: blockSize).forEach(transform: transform) { block in
            let (matrix, rows) = plan.apply(to: block, threads: threads, normalize: false)
            collector.collect(matrix, rows: rows, plan: plan)
            progress?(block.firstRow + block.rowCount, source.cellCount)
        }
        return (collector.values, planned.global, planned.byGroup)
    }

    /// Reads `source` once more and fits with `settings` (used by `c2s fit` to refit a
    /// dataset with other settings).
    public static func refit(
        _ source: ExpressionSource, plan: PreprocessingPlan, settings: InverseTransformSettings,
        transform: ((CSRRows) throws -> CSRRows)?, threads: Int, blockSize: Int,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> InverseTransformFit {
        let c = try collect(source, plan: plan, settings: settings, transform: transform, threads: threads,
                            blockSize: blockSize, progress: progress)
        return fit(settings: settings, values: c.values, global: c.global, byGroup: c.byGroup)
    }

    /// The points of the sampled cells.
    public static func samples(values: [Int: [Float]], global: [Int], byGroup: [(String, [Int])]) -> Samples {
        func sample(_ rows: [Int]) -> FitSample {
            var s = FitSample()
            for r in rows { s.add(cellValues: values[r] ?? []) }
            return s
        }
        return Samples(global: sample(global), groups: byGroup.map { ($0.0, sample($0.1)) })
    }
}
