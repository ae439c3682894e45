import CellSentences
import Foundation
import Prompts
import SingleCell

/// The response of control cells to a perturbation: each control cell's prompt (its sentence,
/// the perturbation's name, its cell type from `labelColumn`) with a fixed template, and the
/// predicted perturbed sentence from `SentenceGenerator`.
///
/// The prompt holds a whole cell sentence already, so with the model's context split between
/// prompt and answer, a prompt rendered as is can leave room for only a few dozen genes of the
/// answer (generation then stops for length). Training met the same limit and cut the control
/// sentence's last genes to fit each example (`PromptEncoder`); prediction does the same, with
/// room kept for `topGenes` genes of answer, so the predicted sentence is as long as asked.
public struct PerturbationPredictor: Sendable {
    public let generator: SentenceGenerator
    public let prompt: TaskPrompt
    public let perturbation: String
    public let labelColumn: String
    public let topGenes: Int
    public let organism: String
    /// The `{label}` of every prompt when the control cells have no cell type column (as the
    /// training prompts said, `PromptValues.unknownLabel`); nil reads `labelColumn`.
    public let missingLabel: String?

    public init(generator: SentenceGenerator, prompt: TaskPrompt, perturbation: String, labelColumn: String, topGenes: Int,
                organism: String, missingLabel: String? = nil) {
        self.generator = generator
        self.prompt = prompt
        self.perturbation = perturbation
        self.labelColumn = labelColumn
        self.topGenes = topGenes
        self.organism = organism
        self.missingLabel = missingLabel
    }

    /// A control cell's model input, and how many of its genes were cut from the end of the
    /// control sentence so that the prompt leaves room for the answer.
    public func modelInput(_ control: CellRecord) throws -> (text: String, droppedGenes: Int) {
        let values = PromptValues.perturbation(control: control, perturbed: nil, topK: topGenes, perturbation: perturbation,
                                               organism: organism, labelColumn: labelColumn, missingLabel: missingLabel)
        let (text, spans) = try prompt.template.render(values, marking: { name, v in
            name == "control_sentence" ? [0..<v.unicodeScalars.count] : []
        })
        let tokenizer = generator.model.tokenizer
        let context = generator.model.language.info.contextLength
        let answer = answerTokens(control)
        func fits(_ input: String) -> Bool { tokenizer.encode(input).count + answer <= context }
        if fits(text) || spans.isEmpty { return (text, 0) }
        // The largest number of control genes that fits: the token count only grows with it.
        let cutter = SentenceTruncation(input: text, spans: spans)
        var lo = 0, hi = cutter.longestSentence - 1
        guard fits(cutter.keeping(atMost: 1).input) else {
            throw DataError("the model's context of \(context) tokens cannot hold this prompt and an answer of \(topGenes) genes (about \(answer) tokens), even with one gene of the control cell \(control.name); ask for fewer genes with --top-genes")
        }
        lo = 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if fits(cutter.keeping(atMost: mid).input) { lo = mid } else { hi = mid - 1 }
        }
        let cut = cutter.keeping(atMost: lo)
        return (cut.input, cut.droppedGenes)
    }

    /// Tokens to keep free for the answer: `topGenes` genes at the control sentence's own
    /// tokens per gene (the perturbed cell expresses much the same genes), a tenth more for
    /// genes that take more tokens than the control's, and the end token.
    func answerTokens(_ control: CellRecord) -> Int {
        let (genes, count) = control.topGenes(topGenes)
        guard count > 0 else { return topGenes + 1 }
        let tokens = generator.model.tokenizer.encode(" " + genes, addSpecialTokens: false).count
        return Int((1.1 * Double(tokens) / Double(count) * Double(topGenes)).rounded(.up)) + 1
    }

    /// Predicted perturbed sentences for `controls`; `firstIndex` numbers the first one (its
    /// random stream when sampling).
    public func predict(_ controls: [CellRecord], firstIndex: Int) throws -> [GeneratedSentence] {
        try generator.generate(controls.map { try modelInput($0).text }, firstIndex: firstIndex)
    }
}
