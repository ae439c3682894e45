import Foundation
import Prompts
import SingleCell

/// The response of control cells to a perturbation: each control cell's prompt (its sentence,
/// the perturbation's name, its cell type from `labelColumn`) with a fixed template, and the
/// predicted perturbed sentence from `SentenceGenerator`.
public struct PerturbationPredictor: Sendable {
    public let generator: SentenceGenerator
    public let prompt: TaskPrompt
    public let perturbation: String
    public let labelColumn: String
    public let topGenes: Int
    public let organism: String

    public init(generator: SentenceGenerator, prompt: TaskPrompt, perturbation: String, labelColumn: String, topGenes: Int, organism: String) {
        self.generator = generator
        self.prompt = prompt
        self.perturbation = perturbation
        self.labelColumn = labelColumn
        self.topGenes = topGenes
        self.organism = organism
    }

    public func modelInput(_ control: CellRecord) throws -> String {
        try prompt.render(PromptValues.perturbation(control: control, perturbed: nil, topK: topGenes, perturbation: perturbation,
                                                    organism: organism, labelColumn: labelColumn))
    }

    /// Predicted perturbed sentences for `controls`; `firstIndex` numbers the first one (its
    /// random stream when sampling).
    public func predict(_ controls: [CellRecord], firstIndex: Int) throws -> [GeneratedSentence] {
        try generator.generate(controls.map(modelInput), firstIndex: firstIndex)
    }
}
