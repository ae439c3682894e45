import Foundation

/// The prompt formats c2s knows: its own, and those of the published C2S checkpoints.
public enum PromptProfiles {
    /// Every profile, the default first.
    public static let all: [PromptProfile] = [c2s, cell2sentence, c2sScale]

    /// The profile called `name`; the error lists the known ones.
    public static func named(_ name: String) throws -> PromptProfile {
        if let p = all.first(where: { $0.name == name.lowercased() }) { return p }
        throw TemplateError("unknown prompt format '\(name)'; known formats: \(all.map(\.name).joined(separator: ", ")) (see 'c2s formats')")
    }

    /// The profile whose checkpoint names occur in `identifiers` (a model's `_name_or_path`,
    /// its folder path), most specific first; nil when none does.
    public static func matching(_ identifiers: [String]) -> PromptProfile? {
        let lowered = identifiers.map { $0.lowercased() }
        for profile in all.reversed() where profile.checkpointNames.contains(where: { name in lowered.contains { $0.contains(name) } }) {
            return profile
        }
        return nil
    }

    /// c2s's own templates (`BuiltinTasks`): many wordings per task, the genes really shown.
    public static let c2s = PromptProfile(
        name: "c2s", summary: "c2s's own prompts: models trained with c2s (the default)",
        source: "Sources/Prompts/BuiltinTasks.swift", checkpointNames: [], style: .c2s, tasks: BuiltinTasks.all,
        separator: nil, advisedGenes: nil, answerNoise: [], responsesEndWithPeriod: false)

    /// The cell2sentence 1.2.0 package's prompts, template 0 of each task (the one the model
    /// cards use), filled as the package fills them.
    static let referenceTasks: [TaskDefinition] = [
        reference("cell_type_prediction", .singleCell,
                  "Predict the cell type of one cell from its cell sentence.",
                  "The following is a list of {num_genes} gene names ordered by descending expression level in a {organism} cell. Your task is to give the cell type which this cell belongs to based on its gene expression.\nCell sentence: {cell_sentence}.\nThe cell type corresponding to these genes is:",
                  "{label}."),
        reference("cell_type_generation", .singleCell,
                  "Generate the cell sentence of one cell of a given cell type.",
                  "Generate a list of {num_genes} genes in order of descending expression which represent a {organism} cell of cell type {label}.\nCell sentence:",
                  "{cell_sentence}."),
        reference("tissue_prediction", .multiCell,
                  "Predict the tissue of several cells from their cell sentences.",
                  "The following is a list of {num_genes} gene names ordered by descending expression level for {num_cells} different {organism} cells. Your task is to give the tissue which these cells belong to based on their gene expression.\nCell sentences:\n{cell_sentences}.\nThe tissue which these cells belong to is:",
                  "{label}."),
        reference("tissue_generation", .multiCell,
                  "Generate the cell sentences of several cells from a given tissue.",
                  "Generate a list of {num_genes} genes in order of descending expression for {num_cells} different {organism} cells from a {label} tissue.\nCell sentences:\n",
                  "{cell_sentences}."),
        reference("natural_language_interpretation", .multiCell,
                  "Summarise several cells as the abstract of their study.",
                  "The following is a list of {num_genes} gene names ordered by descending expression level for {num_cells} different {organism} cells. Your task is to produce an abstract summary summarizing the biological information contained in these cells.\n{cell_sentences}.\nAbstract summary:",
                  "{text}."),
    ]

    private static func reference(_ name: String, _ kind: TaskKind, _ description: String, _ input: String, _ response: String) -> TaskDefinition {
        do {
            return TaskDefinition(name: name, kind: kind, description: description,
                                  inputTemplates: [try PromptTemplate(input)], responseTemplate: try PromptTemplate(response))
        } catch {
            fatalError("reference task \(name): \(error)")
        }
    }

    /// C2S-Pythia-410m (cell type prediction, cell type conditioned generation, multi-cell) and
    /// models fine-tuned with the cell2sentence package.
    public static let cell2sentence = PromptProfile(
        name: "cell2sentence",
        summary: "cell2sentence 1.2.0's prompts (template 0): C2S-Pythia-410m models and models fine-tuned with the package",
        source: "cell2sentence 1.2.0, prompt_formatter.py and prompts/*.json (template 0); C2S-Pythia-410m model cards (200 genes)",
        checkpointNames: ["c2s-pythia", "c2s_pythia", "pythia-410m-multicell", "pythia-410m-diverse", "cell2sentence"],
        style: .reference, tasks: referenceTasks, separator: "", advisedGenes: 200,
        answerNoise: ["<|endoftext|>"], responsesEndWithPeriod: true)

    /// C2S-Scale (Gemma-2 2B and 27B, Pythia-1b-pt): the same prompt text, Gemma's `<bos>` from
    /// its tokenizer (no chat template), and at least 200 genes per cell as the cards advise.
    public static let c2sScale = PromptProfile(
        name: "c2s-scale",
        summary: "C2S-Scale checkpoints (Gemma-2 2B/27B, Pythia-1b-pt): cell2sentence prompts, <bos> from the tokenizer, >= 200 genes",
        source: "C2S-Scale-Gemma-2-2B/27B model cards (prompt of cell2sentence's template 0, at least 200 genes); cell2sentence 1.2.0 prompts/*.json",
        checkpointNames: ["c2s-scale", "c2s_scale"],
        style: .reference, tasks: referenceTasks, separator: "", advisedGenes: 200,
        answerNoise: ["<ctrl100>", "<end_of_turn>", "<eos>"], responsesEndWithPeriod: true)
}
