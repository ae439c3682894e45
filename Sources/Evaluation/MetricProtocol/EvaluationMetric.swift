/// One metric of an evaluation, computed from the evaluation's typed inputs and describing
/// itself to every place that shows it: the JSON key its value is written under, its lines of
/// the command's terminal summary, its headline figures (each with the references it is read
/// against and its unit, i.e. its formatting) and its rows of the report page's table.
///
/// An evaluation computes the metrics of its registry in order (`GenerationMetrics.all`, with
/// `GenerationMetricInput`; `AnnotationMetrics.all`, with `AnnotationMetricInput`;
/// `PerturbationMetrics.all`, with `PerturbationMetricInput`) and keeps their values in its
/// report's ``MetricValues``, which the JSON writer and reader, the terminal summary, the
/// headline table and the page read; so a new metric is its own file plus one line in the
/// registry. A metric is a caseless enum: it has no state, only its description.
public protocol EvaluationMetric<Input>: Sendable {
    /// What the evaluation hands every metric of its kind.
    associatedtype Input
    /// What the metric measures, written as JSON under `key` (`NullableMetric` for values that
    /// can be undefined: JSON has no NaN).
    associatedtype Value: Codable, Sendable

    /// The key of its value in the evaluation's JSON object (snake_case; sorted with the
    /// others when written). It must not be one of the report's own keys.
    static var key: String { get }
    /// The stage it is timed and announced as (`GenerationReport.timings`), or nil to be
    /// counted in the stage before it.
    static var stage: String? { get }
    /// Its value, or nil when the inputs do not allow it (its key is then absent); why not, and
    /// anything else the reader should know, goes in `warnings`.
    static func compute(_ input: Input, warnings: inout [String]) throws -> Value?
    /// Its lines of the command's summary on the terminal.
    static func summary(_ value: Value) -> [String]
    /// Its headline figures, each beside its references (chance, a baseline, a ceiling), for
    /// the headline table of `c2s report eval` (page and terminal).
    static func headline(_ value: Value) -> [HeadlineFigure]
    /// Its rows of the report page's table of the evaluation's figures, values already written
    /// (`HeadlineFigure.Unit.format` writes a number as the headline table does).
    static func details(_ value: Value) -> [MetricDetail]
}

extension EvaluationMetric {
    public static var stage: String? { nil }
    public static func summary(_ value: Value) -> [String] { [] }
    public static func headline(_ value: Value) -> [HeadlineFigure] { [] }
    public static func details(_ value: Value) -> [MetricDetail] { [] }
}

/// One row of a report table: what it is, and its value as text.
public struct MetricDetail: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
