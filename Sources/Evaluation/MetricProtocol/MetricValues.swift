import Foundation

/// The values of an evaluation's registered metrics (``EvaluationMetric``), in registry order.
///
/// A report keeps one and writes each value into its own JSON object under the metric's key,
/// beside the report's own keys (the file is written with sorted keys, so where a metric sits
/// in the registry does not move it in the file); reading the report back reads each
/// registered metric's key. The summary, headline figures and report rows are the metrics'
/// own, in registry order.
public struct MetricValues<Input>: Sendable {
    public typealias Metric = any EvaluationMetric<Input>.Type

    /// The metrics that have a value, in registry order.
    public private(set) var metrics: [Metric] = []
    private var values: [String: any Sendable] = [:]

    public init() {}

    /// Computes `metrics` in order on `input`; `stage` is called with the stage of each metric
    /// that names one, before it runs.
    public static func compute(_ metrics: [Metric], input: Input, warnings: inout [String],
                               stage: (String) -> Void = { _ in }) throws -> MetricValues {
        var result = MetricValues()
        for metric in metrics { try result.compute(metric, as: metric, input: input, warnings: &warnings, stage: stage) }
        return result
    }

    private mutating func compute<M: EvaluationMetric>(_ type: M.Type, as metric: Metric, input: Input, warnings: inout [String],
                                                       stage: (String) -> Void) throws {
        if let name = M.stage { stage(name) }
        guard let input = input as? M.Input else { preconditionFailure("\(M.self) is registered with another evaluation's inputs") }
        store(metric, try M.compute(input, warnings: &warnings))
    }

    /// The value of `metric`, nil when it was not computed (or its inputs did not allow it).
    public subscript<M: EvaluationMetric>(_ metric: M.Type) -> M.Value? where M.Input == Input {
        get { values[M.key] as? M.Value }
        set { store(M.self, newValue) }
    }

    private mutating func store(_ metric: Metric, _ value: (any Sendable)?) {
        let key = metric.key
        let known = metrics.contains { $0.key == key }
        if let value {
            values[key] = value
            if !known { metrics.append(metric) }
        } else if known {
            values[key] = nil
            metrics.removeAll { $0.key == key }
        }
    }

    /// The JSON keys of the values held.
    public var keys: [String] { metrics.map { $0.key } }

    /// The summary lines of every metric held, in registry order.
    public func summary() -> [String] { metrics.flatMap { summary($0) } }
    private func summary<M: EvaluationMetric>(_ metric: M.Type) -> [String] { (values[M.key] as? M.Value).map(M.summary) ?? [] }

    /// The headline figures of every metric held, in registry order.
    public func headline() -> [HeadlineFigure] { metrics.flatMap { headline($0) } }
    private func headline<M: EvaluationMetric>(_ metric: M.Type) -> [HeadlineFigure] { (values[M.key] as? M.Value).map(M.headline) ?? [] }

    /// The report rows of every metric held, in registry order.
    public func details() -> [MetricDetail] { metrics.flatMap { details($0) } }
    private func details<M: EvaluationMetric>(_ metric: M.Type) -> [MetricDetail] { (values[M.key] as? M.Value).map(M.details) ?? [] }

    // MARK: JSON

    /// Writes each value under its metric's key into `encoder`'s keyed container (the one the
    /// report's own keys go into).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: MetricKey.self)
        for metric in metrics { try encode(metric, into: &container) }
    }

    private func encode<M: EvaluationMetric>(_ metric: M.Type, into container: inout KeyedEncodingContainer<MetricKey>) throws {
        if let value = values[M.key] as? M.Value { try container.encode(value, forKey: MetricKey(M.key)) }
    }

    /// Reads the value of each of `metrics` whose key `decoder`'s object has. A decoder whose
    /// `userInfo[.evaluationMetrics]` holds a list of metrics of this kind reads those instead
    /// (e.g. a registry extended by a tool or a test).
    public init(from decoder: Decoder, metrics registry: [Metric]) throws {
        let metrics = decoder.userInfo[.evaluationMetrics] as? [Metric] ?? registry
        let container = try decoder.container(keyedBy: MetricKey.self)
        for metric in metrics { try decode(metric, as: metric, from: container) }
    }

    private mutating func decode<M: EvaluationMetric>(_ type: M.Type, as metric: Metric, from container: KeyedDecodingContainer<MetricKey>) throws {
        store(metric, try container.decodeIfPresent(M.Value.self, forKey: MetricKey(M.key)))
    }
}

extension CodingUserInfoKey {
    /// The metrics a report's ``MetricValues`` reads (a list of `any EvaluationMetric<Input>.Type`
    /// of the report's kind) instead of its registry.
    public static let evaluationMetrics = CodingUserInfoKey(rawValue: "c2s.evaluationMetrics")!
}

/// A JSON key given by a metric.
struct MetricKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ key: String) { stringValue = key }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
