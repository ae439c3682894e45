import Foundation
import Prompts
import SingleCell

/// New cells from a model: a condition (a label the model learned, e.g. a cell type) or none,
/// turned into a generation prompt with a fixed template, then sentences from
/// `SentenceGenerator`. With a guidance scale other than 1 (`SentenceGenerationOptions.guidance`),
/// every conditional request is guided by the unconditional prompt, which the model must
/// have learned (classifier-free guidance needs the model's own unconditional distribution).
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

    /// Throws when guidance is asked for and there is no unconditional prompt, or the model's
    /// `c2s.json` lists the tasks it trained and `unconditional_generation` is not among them
    /// (a model without that record is taken at its word).
    public init(generator: SentenceGenerator, conditional: TaskPrompt?, unconditional: TaskPrompt?, organism: String) throws {
        if generator.options.guidance != 1 {
            let model = generator.model
            if let tasks = model.metadata?.tasks, !tasks.isEmpty, !tasks.contains(Self.unconditionalTask) {
                throw DataError("\(model.folder): guidance (scale \(generator.options.guidance)) needs a model that also learned \(Self.unconditionalTask), "
                    + "but it trained only \(tasks.joined(separator: ", ")); train with `--task \(Self.unconditionalTask):W` in c2s prompts, or use guidance 1")
            }
            guard unconditional != nil else { throw DataError("guidance needs the \(Self.unconditionalTask) prompt") }
        }
        self.generator = generator
        self.conditional = conditional
        self.unconditional = unconditional
        self.organism = organism
    }

    /// The task whose prompt is a request without a condition.
    public static let unconditionalTask = "unconditional_generation"

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
        // Guidance compares each input with the unconditional one (for an unconditional
        // request the two are the same, and guidance changes nothing).
        let twins = generator.options.guidance == 1 ? nil : try Array(repeating: modelInput(label: nil), count: inputs.count)
        return try generator.generate(inputs, firstIndex: range.lowerBound, unconditional: twins)
    }
}
