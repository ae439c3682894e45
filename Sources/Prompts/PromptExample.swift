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

    public init(task: String, split: String, cellNames: [String], modelInput: String, response: String) {
        self.task = task
        self.split = split
        self.cellNames = cellNames
        self.modelInput = modelInput
        self.response = response
    }
}
