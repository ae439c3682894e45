/// One training or evaluation example: exactly the text a model sees and must produce.
public struct PromptExample: Sendable, Equatable {
    public var task: String
    /// `train`, `validation` or `test`.
    public var split: String
    /// The cells the example is about (one for single-cell tasks, several for multi-cell ones,
    /// control then perturbed for perturbation prediction).
    public var cellNames: [String]
    public var modelInput: String
    public var response: String
    /// Where each cell sentence shown in `modelInput` is: ranges of Unicode code points
    /// (Python's `model_input[start:end]`), in order of appearance; empty when the input shows
    /// no sentence. Lets a trainer shorten an over-long input by dropping a sentence's
    /// lowest-ranked genes instead of cutting the prompt blindly.
    public var inputSentenceSpans: [Range<Int>]
    /// The published checkpoint family whose prompt format the example is written in
    /// (`prompt_format`, a `PromptProfile` name); nil for c2s's own format. A trainer joins
    /// input and response the way that family was trained.
    public var promptFormat: String?

    public init(task: String, split: String, cellNames: [String], modelInput: String, response: String,
                inputSentenceSpans: [Range<Int>] = [], promptFormat: String? = nil) {
        self.task = task
        self.split = split
        self.cellNames = cellNames
        self.modelInput = modelInput
        self.response = response
        self.inputSentenceSpans = inputSentenceSpans
        self.promptFormat = promptFormat
    }
}
