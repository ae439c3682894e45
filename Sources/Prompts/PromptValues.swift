import CellSentences

/// The values a template's placeholders take, for each kind of task: shared by the prompt
/// builder (training examples) and by inference, which renders the same fields for cells it has
/// never seen (no response, possibly no label).
///
/// Each function returns a lookup from placeholder name to text (nil when the value is
/// missing, which `PromptTemplate.render` reports). Values are looked up by name through a
/// switch rather than a dictionary built per example: this runs once per example, for millions
/// of examples.
public enum PromptValues {
    /// What perturbation prompts say for the cell type when the data has none (`{label}`):
    /// the same word in training and prediction, so a model learns it as "any cell type".
    public static let unknownLabel = "unknown"

    /// One cell: `cell_sentence` (its top `topK` genes), `num_genes` (how many that really is),
    /// `organism`, `label` (the value of `labelColumn`; none when nil, as when predicting it),
    /// `cell_name`, and any of its fields.
    ///
    /// `style` decides what `num_genes` says (`PromptStyle.geneCount`).
    public static func singleCell(_ cell: CellRecord, topK: Int, organism: String, labelColumn: String?,
                                  style: PromptStyle = .c2s) -> (String) -> String? {
        let (sentence, count) = cell.topGenes(topK)
        // The whole (already top-k) sentence is shared, not copied.
        let sentenceText = count == cell.geneCount ? cell.sentence : String(sentence)
        return { name in
            switch name {
            case "cell_sentence": return sentenceText
            case "num_genes": return style.numGenes(requested: topK, shown: count)
            case "organism": return organism
            case "label": return labelColumn.flatMap { cell.fields[$0] }
            case "cell_name": return cell.name
            default: return cell.fields[name]
            }
        }
    }

    /// A single-cell prompt without a cell, for generation: `label` (nil for unconditional
    /// prompts), `num_genes` (how many genes to ask for) and `organism`.
    public static func generation(label: String?, numGenes: Int, organism: String) -> (String) -> String? {
        { name in
            switch name {
            case "num_genes": return String(numGenes)
            case "organism": return organism
            case "label": return label
            default: return nil
            }
        }
    }

    /// A group of cells: `cell_sentences` (one "Cell i: ..." line per cell, top `topK` genes
    /// each), `num_cells`, `num_genes` (the most genes shown for any cell), `organism`, `label`
    /// and `text`.
    ///
    /// `style` decides the block's layout and what `num_genes` says.
    public static func multiCell(_ cells: [CellRecord], topK: Int, organism: String, label: String?, text: String?,
                                 style: PromptStyle = .c2s) -> (String) -> String? {
        let top = cells.map { $0.topGenes(topK) }
        return { name in
            switch name {
            case "cell_sentences": return style.cellBlock(top.map(\.text))
            case "num_cells": return String(cells.count)
            case "num_genes": return style.numGenes(requested: topK, shown: top.map(\.count).max() ?? 0)
            case "organism": return organism
            case "label": return label
            case "text": return text
            default: return nil
            }
        }
    }

    /// A control cell and, in training, the perturbed cell paired with it: `control_sentence`,
    /// `perturbed_sentence`, `num_genes` (genes of the control shown), `perturbation`,
    /// `organism`, and `label` and other fields from the perturbed cell (from the control when
    /// predicting, as pairs share their cell type).
    ///
    /// `missingLabel`, when given, is the `label` of every pair (data without a cell type column).
    public static func perturbation(control: CellRecord, perturbed: CellRecord?, topK: Int, perturbation: String,
                                    organism: String, labelColumn: String, missingLabel: String? = nil) -> (String) -> String? {
        let (c, count) = control.topGenes(topK)
        let described = perturbed ?? control
        return { name in
            switch name {
            case "control_sentence": return String(c)
            case "perturbed_sentence": return perturbed.map { String($0.topGenes(topK).text) }
            case "num_genes": return String(count)
            case "perturbation": return perturbation
            case "organism": return organism
            case "label": return missingLabel ?? described.fields[labelColumn]
            default: return described.fields[name]
            }
        }
    }
}
