import CellSentences
import SingleCell

extension PromptBuilder {
    /// The input template of example number `example`: chosen by (seed, example number), so an
    /// example's text does not depend on threads or chunks.
    func templateIndex(_ task: TaskDefinition, example: Int) -> Int {
        Self.templateIndex(templates: task.inputTemplates.count, seed: options.seed, example: example)
    }

    static func templateIndex(templates: Int, seed: UInt64, example: Int) -> Int {
        var rng = SplitMix64(seed: SplitMix64.derive(seed, UInt64(example)))
        return Int(rng.next() % UInt64(templates))
    }

    /// One example: a template chosen by (seed, example number), filled from the unit's cells.
    ///
    /// This is the plain String rendering, the definition of what `buildLines` writes as bytes.
    func render(_ task: TaskDefinition, _ unit: Unit, example: Int) throws -> PromptExample {
        let template = task.inputTemplates[templateIndex(task, example: example)]
        let organism = options.organism
        // Values are looked up by name through a switch rather than a dictionary built per
        // example: this runs once per example, for millions of examples.
        let value: (String) -> String?
        // Code points of each sentence within a value: the whole value, or each cell's sentence
        // within the multi-cell block.
        let sentences: (String, String) -> [Range<Int>]
        let names: [String]
        switch task.kind {
        case .singleCell:
            let cell = table.cells[unit.first]
            let (sentence, count) = cell.topGenes(options.topK)
            // The whole (already top-k) sentence is shared, not copied.
            let sentenceText = count == cell.geneCount ? cell.sentence : String(sentence)
            let labelColumn = options.labelColumn
            names = [cell.name]
            value = { name in
                switch name {
                case "cell_sentence": return sentenceText
                case "num_genes": return String(count)
                case "organism": return organism
                case "label": return cell.fields[labelColumn]
                case "cell_name": return cell.name
                default: return cell.fields[name]
                }
            }
            sentences = { name, v in name == "cell_sentence" ? [0..<v.unicodeScalars.count] : [] }
        case .multiCell:
            let cells = unit.cells.map { table.cells[$0] }
            let top = cells.map { $0.topGenes(options.topK) }
            let labelColumn = options.groupLabelColumn ?? options.groupColumns[0]
            let text = self.text(for: cells)
            names = cells.map(\.name)
            value = { name in
                switch name {
                case "cell_sentences": return PromptFormat.cellBlock(top.map(\.text))
                case "num_cells": return String(cells.count)
                case "num_genes": return String(top.map(\.count).max() ?? 0)
                case "organism": return organism
                case "label": return cells[0].fields[labelColumn]
                case "text": return text
                default: return nil
                }
            }
            sentences = { name, _ in name == "cell_sentences" ? PromptFormat.cellBlockSpans(top.map(\.text)) : [] }
        case .perturbation:
            let control = table.cells[unit.first], perturbed = table.cells[unit.second]
            let (c, count) = control.topGenes(options.topK)
            let labelColumn = options.labelColumn
            let perturbation = unit.perturbation ?? ""
            names = [control.name, perturbed.name]
            value = { name in
                switch name {
                case "control_sentence": return String(c)
                case "perturbed_sentence": return String(perturbed.topGenes(self.options.topK).text)
                case "num_genes": return String(count)
                case "perturbation": return perturbation
                case "organism": return organism
                case "label": return perturbed.fields[labelColumn]
                default: return perturbed.fields[name]
                }
            }
            sentences = { name, v in name == "control_sentence" || name == "perturbed_sentence" ? [0..<v.unicodeScalars.count] : [] }
        }
        let (input, spans) = try template.render(value, marking: sentences)
        let response = try task.responseTemplate.render(value)
        return PromptExample(task: task.name, split: SplitPlan.splitNames[unit.split], cellNames: names, modelInput: input,
                             response: response, inputSentenceSpans: spans)
    }
}
