import Foundation

/// The `config.json` of a new model to train from scratch, with every key transformers 5
/// writes for the architecture (`GPTNeoXConfig`, `GPT2Config`), so that the saved folder
/// loads in transformers exactly as the engine trained it.
///
/// Dropout is 0: the engine trains without dropout, and a config that said otherwise would
/// make transformers' training of the same folder differ from ours.
public struct NewModelConfig: Sendable, Equatable {
    /// The model types that can be made from sizes alone.
    public static let supportedTypes = ["gpt2", "gpt_neox"]

    public var modelType: String
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    /// MLP width (default 4 × hidden).
    public var intermediateSize: Int?
    /// Longest sequence (learned positions for GPT-2, `max_position_embeddings` for NeoX).
    public var contextLength: Int
    public var bosTokenID: Int32?
    public var eosTokenID: Int32?
    public var padTokenID: Int32?

    public init(modelType: String, vocabularySize: Int, hiddenSize: Int, layers: Int, heads: Int,
                intermediateSize: Int? = nil, contextLength: Int,
                bosTokenID: Int32? = nil, eosTokenID: Int32? = nil, padTokenID: Int32? = nil) {
        self.modelType = modelType
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.contextLength = contextLength
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
    }

    /// The config as a JSON object.
    public func json() throws -> [String: Any] {
        guard Self.supportedTypes.contains(modelType) else {
            throw TrainingError.invalidInput("--new-model \(modelType) is not supported (supported: \(Self.supportedTypes.joined(separator: ", ")))")
        }
        for (name, value) in [("--hidden-size", hiddenSize), ("--layers", layers), ("--heads", heads), ("--context", contextLength), ("vocabulary size", vocabularySize)] where value < 1 {
            throw TrainingError.invalidInput("\(name) must be at least 1, found \(value)")
        }
        guard hiddenSize % heads == 0 else {
            throw TrainingError.invalidInput("--hidden-size \(hiddenSize) is not a multiple of --heads \(heads)")
        }
        if let f = intermediateSize, f < 1 { throw TrainingError.invalidInput("--intermediate-size must be at least 1, found \(f)") }
        func id(_ v: Int32?) -> Any { v.map { Int($0) } ?? NSNull() }
        var c: [String: Any] = [
            "model_type": modelType, "vocab_size": vocabularySize, "initializer_range": 0.02, "use_cache": true,
            "bos_token_id": id(bosTokenID), "eos_token_id": id(eosTokenID), "pad_token_id": id(padTokenID), "dtype": "float32",
        ]
        switch modelType {
        case "gpt_neox":
            c.merge([
                "architectures": ["GPTNeoXForCausalLM"], "hidden_size": hiddenSize, "num_hidden_layers": layers,
                "num_attention_heads": heads, "intermediate_size": intermediateSize ?? 4 * hiddenSize,
                "max_position_embeddings": contextLength, "hidden_act": "gelu", "layer_norm_eps": 1e-5,
                "rope_parameters": ["partial_rotary_factor": 0.25, "rope_theta": 10000.0, "rope_type": "default"] as [String: Any],
                "attention_bias": true, "attention_dropout": 0.0, "hidden_dropout": 0.0, "classifier_dropout": 0.0,
                "use_parallel_residual": true, "tie_word_embeddings": false, "is_decoder": false,
            ]) { $1 }
        default:  // gpt2
            c.merge([
                "architectures": ["GPT2LMHeadModel"], "n_embd": hiddenSize, "n_layer": layers, "n_head": heads,
                "n_inner": intermediateSize.map { $0 as Any } ?? NSNull(), "n_positions": contextLength,
                "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
                "attn_pdrop": 0.0, "embd_pdrop": 0.0, "resid_pdrop": 0.0, "summary_first_dropout": 0.0,
                "scale_attn_weights": true, "scale_attn_by_inverse_layer_idx": false, "reorder_and_upcast_attn": false,
                "tie_word_embeddings": true,
            ]) { $1 }
        }
        return c
    }
}
