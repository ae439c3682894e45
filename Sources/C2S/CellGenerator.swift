import Foundation
import Prompts
import SingleCell

/// New cells from a model: a condition (a label the model learned, e.g. a cell type) or none,
/// turned into a generation prompt with a fixed template, then sentences from
/// `SentenceGenerator`.
public struct CellGenerator: Sendable {
    /// What to generate: `count` cells for `label` (nil: unconditional).
    public struct Request: Sendable, Equatable {
        public var label: String?
        public var count: Int
        public init(label: String?, count: Int) {
            self.label = label
            self.count = count
        }
    }

    public let generator: SentenceGenerator
    /// Used for requests with a label (`cell_type_generation`) and without (`unconditional_generation`).
    public let conditional: TaskPrompt?
    public let unconditional: TaskPrompt?
    public let organism: String

    public init(generator: SentenceGenerator, conditional: TaskPrompt?, unconditional: TaskPrompt?, organism: String) {
        self.generator = generator
        self.conditional = conditional
        self.unconditional = unconditional
        self.organism = organism
    }

    /// The model input for a cell of `label`.
    public func modelInput(label: String?) throws -> String {
        guard let prompt = label == nil ? unconditional : conditional else {
            throw DataError(label == nil ? "no task for unconditional generation" : "no task for conditional generation")
        }
        return try prompt.render(PromptValues.generation(label: label, numGenes: generator.options.numGenes, organism: organism))
    }

    /// Generates the cells numbered `range` (counting through all requests in order): cell `i`
    /// samples from stream `i`, so the result does not depend on how the numbers are chunked.
    public func generate(_ requests: [Request], range: Range<Int>) throws -> [GeneratedSentence] {
        var labels: [String?] = []
        for r in requests { labels += Array(repeating: r.label, count: r.count) }
        let inputs = try labels[range].map { try modelInput(label: $0) }
        return try generator.generate(inputs, firstIndex: range.lowerBound)
    }
}
