import Evaluation

/// The JSON of `c2s evaluate generation`, written by the command and read back by
/// `c2s report eval`: the generation metrics (absent when only the label-swap test ran) with
/// the label-swap test merged in under "label_swap" (absent when the test did not run). The
/// Evaluation module cannot see the model, so this C2S type joins the two.
public struct GenerationMetricsFile: Codable, Sendable {
    public var report: GenerationReport?
    public var labelSwap: LabelSwapResult?

    public init(report: GenerationReport?, labelSwap: LabelSwapResult?) {
        self.report = report
        self.labelSwap = labelSwap
    }

    enum CodingKeys: String, CodingKey { case knn, labelSwap = "label_swap" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        labelSwap = try c.decodeIfPresent(LabelSwapResult.self, forKey: .labelSwap)
        // Without a k-NN table there are no generation metrics; with one, they must all decode.
        report = c.contains(.knn) || labelSwap == nil ? try GenerationReport(from: decoder) : nil
    }

    public func encode(to encoder: Encoder) throws {
        try report?.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(labelSwap, forKey: .labelSwap)
    }
}
