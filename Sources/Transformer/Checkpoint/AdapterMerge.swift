import Foundation
import Mechanics

/// Merging a LoRA adapter into its base and saving the result as a plain model folder (PEFT's
/// `merge_and_unload` + `save_pretrained`): every command and transformers then run it
/// without the adapter, at the base's speed.
public enum AdapterMerge {
    /// Files that travel with the merged weights when the adapter or base folder has them:
    /// the tokenizer, and c2s's metadata and training vocabulary.
    static let carriedFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
                               "c2s.json", "manifest.json", "vocab.tsv"]

    /// Loads `model` (with `adapter` on top, or `model` itself an adapter folder), merges, and
    /// writes the merged folder `output` (fp32 weights, the base's config.json; carried files
    /// from the adapter's folder first, then the base's). `output` must not exist; it is built
    /// under a temporary name and renamed into place, so it appears whole or not at all.
    /// Returns the number of adapted modules.
    @discardableResult
    public static func run(model: String, adapter: String?, output: String) throws -> Int {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: output) else {
            throw ModelError.input("\(output) exists; the merged model goes to a new folder")
        }
        let loaded = try ModelLoader.load(folder: URL(fileURLWithPath: model), adapter: adapter)
        guard let adapted = loaded as? LowRankAdaptedModel else {
            throw ModelError.input("\(model) is a model without an adapter: give the adapter with --adapter DIR")
        }
        let adapterFolder = adapter ?? model
        let baseFolder = adapter == nil ? try ModelLoader.adapterBase(URL(fileURLWithPath: model)).path : model
        adapted.mergeIntoBase()
        let config = try ConfigFile(url: URL(fileURLWithPath: baseFolder).appendingPathComponent("config.json")).values
        var contents = ModelFolderContents(config: config)
        for name in carriedFiles {
            if let source = [adapterFolder, baseFolder].map({ ($0 as NSString).appendingPathComponent(name) }).first(where: manager.fileExists) {
                contents.copiedFiles.append((name, source))
            }
        }
        try AtomicFolder.write(output, replacing: false, failure: failure) { temporary in
            try contents.write(adapted.base.parameters, to: temporary)
        }
        return adapted.adaptedModules.count
    }

    /// How a failed write of the merged folder reads (it never replaces a folder).
    static let failure: AtomicFolder.Failure = { step, path, reason in
        switch step {
        case .create: CheckpointError.io(path: path, operation: "create the folder", reason: reason)
        case .replace, .rename: CheckpointError.io(path: path, operation: "rename the merged model into place as", reason: reason)
        }
    }
}
