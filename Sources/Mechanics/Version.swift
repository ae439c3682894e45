/// The version of c2s, written into every output that records its tool (manifests, reports)
/// and printed by `c2s --version`.
public enum C2SVersion {
    public static let string = "0.1.0"
}
