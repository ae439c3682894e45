/// How a dataset spells its gene symbols, and the organism that spelling points to.
///
/// Human symbols are upper-case (`ACTB`, `MT-CO1`, `LINC00115`; only the few `C1orf56`-style
/// names have lower-case letters). Mouse (and rat) symbols are capitalised: first letter
/// upper-case, the rest lower-case (`Actb`, `mt-Co1`, `Gm12345`, `1700012B09Rik`). So the
/// spelling of most names tells the two apart without a gene list, and it decides two things:
/// whether upper-casing (the reference's habit) is safe, and which organism prompts name.
public struct GeneNameStyle: Sendable, Equatable, Codable {
    /// The spelling most names follow.
    public enum Kind: String, Sendable, Codable {
        /// No lower-case letters (human style).
        case upperCase = "upper-case"
        /// First letter upper-case, lower-case letters after it (mouse style).
        case capitalised
        /// Neither holds for more than half of the names (all lower-case, or mixed).
        case mixed
    }

    public var kind: Kind
    /// Names with at least one letter, and how many of them are upper-case or capitalised.
    public var names: Int
    public var upperCase: Int
    public var capitalised: Int

    enum CodingKeys: String, CodingKey {
        case kind, names, upperCase = "upper_case", capitalised
    }

    /// The organism this spelling suggests: Homo sapiens for upper-case names, Mus musculus for
    /// capitalised ones (rat data looks the same: name the organism explicitly there), none
    /// for mixed names.
    public var organism: String? {
        switch kind {
        case .upperCase: return "Homo sapiens"
        case .capitalised: return "Mus musculus"
        case .mixed: return nil
        }
    }

    /// A short description for messages, e.g. "capitalised (mouse style): 13190 of 13218 names".
    public var description: String {
        switch kind {
        case .upperCase: return "upper-case (human style): \(upperCase) of \(names) names"
        case .capitalised: return "capitalised (mouse style): \(capitalised) of \(names) names"
        case .mixed: return "mixed: \(upperCase) upper-case and \(capitalised) capitalised of \(names) names"
        }
    }

    /// Classifies `genes`: the style more than half of the names with letters follow.
    public static func detect(_ genes: [String]) -> GeneNameStyle {
        var names = 0, upper = 0, capital = 0
        for name in genes {
            switch classify(name) {
            case .upperCase?: upper += 1
            case .capitalised?: capital += 1
            case .mixed?: break
            case nil: continue
            }
            names += 1
        }
        let kind: Kind = 2 * upper > names ? .upperCase : 2 * capital > names ? .capitalised : .mixed
        return GeneNameStyle(kind: kind, names: names, upperCase: upper, capitalised: capital)
    }

    /// One name's style; nil when it has no letters. The mitochondrial prefix `mt-` is skipped
    /// (mouse writes `mt-Co1`), and a name counts as capitalised when its first letter is
    /// upper-case and some later letter lower-case (`Gm12345`, `1700012B09Rik`).
    public static func classify(_ name: String) -> Kind? {
        var body = Substring(name)
        if body.hasPrefix("mt-") { body = body.dropFirst(3) }
        guard let first = body.first(where: \.isLetter) else { return nil }
        let hasLower = body.contains(where: \.isLowercase)
        if !hasLower { return .upperCase }
        return first.isUppercase ? .capitalised : .mixed
    }
}
