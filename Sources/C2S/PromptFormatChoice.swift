import Foundation
import Prompts
import SingleCell

/// Which prompt format a run uses, and what it should warn about: the one asked for, else the
/// one the model folder says it was trained with, else c2s's own.
public struct PromptFormatChoice: Sendable {
    public let profile: PromptProfile
    /// The profile the model folder points to, if any.
    public let detected: PromptProfile?
    /// Why `detected` was chosen (which file or name said so).
    public let evidence: String?
    /// Deviations from the model's format worth a warning.
    public private(set) var warnings: [String] = []

    /// `requested` is `--prompt-format` (nil: detect); `template` the 1-based template, `taskFile`
    /// whether a task file supplies the templates, `genes` the genes per cell in prompts.
    public init(requested: String?, model: C2SModel, template: Int = 1, taskFile: Bool = false, genes: Int? = nil) throws {
        try self.init(requested: requested, folder: model.folder, metadata: model.metadata, template: template, taskFile: taskFile, genes: genes)
    }

    /// The same for a model folder and its `c2s.json`.
    public init(requested: String?, folder: String, metadata: C2SMetadata?, template: Int = 1, taskFile: Bool = false, genes: Int? = nil) throws {
        let found = Self.detect(folder: folder, metadata: metadata)
        detected = found?.profile
        evidence = found?.evidence
        profile = try requested.map(PromptProfiles.named) ?? found?.profile ?? PromptProfiles.c2s
        if let detected, detected.name != profile.name, let evidence {
            warnings.append("\(evidence) says this model was trained with the \(detected.name) prompt format, but prompts use \(profile.name); a checkpoint answers well only in its own format")
        }
        if let detected, detected.name != PromptProfiles.c2s.name {
            if taskFile { warnings.append("a --task-file replaces the \(detected.name) prompts this model was trained with; its answers may drift") }
            else if template != 1 { warnings.append("template \(template) is not the \(detected.name) prompt the model cards use (template 1)") }
        }
        if let genes, let w = profile.genesWarning(genes) { warnings.append(w) }
    }

    /// The profile a model folder names: `c2s.json`'s `prompt_format`, else a published
    /// checkpoint's name in `config.json`'s `_name_or_path` or in the folder's path.
    public static func detect(folder: String, metadata: C2SMetadata?) -> (profile: PromptProfile, evidence: String)? {
        if let name = metadata?.promptFormat, let p = try? PromptProfiles.named(name) {
            return (p, metadata!.path)
        }
        let config = (folder as NSString).appendingPathComponent("config.json")
        if let data = FileManager.default.contents(atPath: config),
           let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
           let name = object["_name_or_path"] as? String, let p = PromptProfiles.matching([name]) {
            return (p, "\(config) (_name_or_path \(name))")
        }
        let path = URL(fileURLWithPath: folder).standardizedFileURL.path
        if let p = PromptProfiles.matching([path]) { return (p, "the folder name \(path)") }
        return nil
    }
}
