import Foundation
import Transformer

/// A trained model given rows for tokens its tokenizer has gained (`c2s tokenizer extend`):
/// `c2s train --model MODEL --tokenizer EXTENDED --grow-vocabulary`.
///
/// Why: `make demo`'s annotation phase can read longer sentences than the main training
/// (`ANNOTATION_TOP_GENES`); giving the main model's tokenizer the longer sentences' genes from
/// the start doubles its output head, which every training step computes (kang: 9,194 → 18,712
/// ids, the demo's main training 423 → 643 s, docs/SCIENCE.md §5c). Growing the model only for
/// the phase leaves the main training as it was.
///
/// Every tensor is copied; a tensor indexed by token (the token table and the output head,
/// one tensor when tied) keeps its rows and gets rows for the new ids as a new model of the
/// architecture would have them (`initializeParameters(seed:)`: transformers' `_init_weights`).
/// Logits of the old ids are unchanged; the new tokens start untrained.
public enum VocabularyGrowth {
    /// The grown model, its config (`vocab_size` set), and the tensors that got rows.
    public struct Grown {
        public var model: any TrainableModel
        public var config: [String: Any]
        public var tensors: [String]
    }

    public static func grow(_ model: any TrainableModel, config: [String: Any], configURL: URL, to size: Int, seed: UInt64) throws -> Grown {
        let old = model.info.vocabularySize
        guard size > old else { throw TrainingError.invalidInput("\(configURL.path): growing the vocabulary to \(size) ids needs more than its \(old)") }
        guard model.parameters.matrixPrecision == .fp32 else {
            throw TrainingError.invalidInput("\(configURL.path): growing the vocabulary needs fp32 weights (full training), not \(model.parameters.matrixPrecision.rawValue)")
        }
        var values = config
        values["vocab_size"] = size
        let made = try ModelLoader.makeModel(ConfigFile(url: configURL, values: values))
        guard let grown = made as? any TrainableModel else {
            throw TrainingError.invalidInput("\(configURL.path): model_type \(model.info.modelType) cannot be trained")
        }
        grown.initializeParameters(seed: seed)
        let from = model.parameters, to = grown.parameters
        guard from.specs.map(\.name) == to.specs.map(\.name) else {
            throw TrainingError.invalidInput("\(configURL.path): the model with \(size) ids has other parameters than with \(old) (an architecture whose layout depends on the vocabulary otherwise than by rows)")
        }
        var tensors: [String] = []
        for (a, b) in zip(from.specs, to.specs) {
            let source = from.pointer(a.name), target = to.pointer(b.name)
            if a.shape == b.shape {
                target.update(from: source, count: a.count)
            } else if a.shape.count == 2, a.shape[0] == old, b.shape[0] == size, a.shape[1] == b.shape[1] {
                // Rows are tokens ([vocabulary, hidden], row-major): the old rows come first.
                target.update(from: source, count: a.count)
                tensors.append(a.name)
            } else {
                throw TrainingError.invalidInput("\(configURL.path): \(a.name) is \(a.shape) with \(old) ids and \(b.shape) with \(size); only token rows can grow")
            }
        }
        guard !tensors.isEmpty else { throw TrainingError.invalidInput("\(configURL.path): no tensor of the model is indexed by token") }
        return Grown(model: grown, config: values, tensors: tensors)
    }
}
