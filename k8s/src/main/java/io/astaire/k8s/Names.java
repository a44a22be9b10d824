package io.astaire.k8s;

/**
 * The names, labels and paths shared by every rendered object (and by the Helm chart). The object
 * names here are those of the default instance ({@value RenderOptions#DEFAULT_INSTANCE}); any
 * instance's come from {@link ChainObjectNames}.
 */
public final class Names {
    public static final String INGRESS = "astaire-ingress";
    public static final String EGRESS = "astaire-egress";
    public static final String CONTROLLER = "astaire-controller";
    public static final String CONTROLLER_DATA = "astaire-controller-data";
    public static final String CONTROLLER_TOKEN = "astaire-controller-token";
    public static final String TOKEN_KEY = "token";
    /** The node secret: nodes derive their report tokens from it; it cannot write configuration. */
    public static final String NODE_TOKEN = "astaire-node-token";
    public static final String DNSMASQ = "astaire-dnsmasq";
    public static final String CHAIN_CONFIG = "astaire-chain";
    public static final String CHAIN_FILE = "chain.yaml";
    public static final String CONFIG_DIR = "/etc/astaire";
    public static final String DATA_DIR = "/var/lib/astaire";
    public static final String SERVICE_ACCOUNT = "astaire";

    public static final String LABEL_NAME = "app.kubernetes.io/name";
    public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
    public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
    public static final String LABEL_PART_OF = "app.kubernetes.io/part-of";
    public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String PART_OF = "astaire";
    public static final String MANAGED_BY = "astaire-k8s-render";
    /** On pods with a sidecar edge ({@code k8s inject}): the chain instance they take part in. */
    public static final String MEMBER_LABEL = "astaire.io/member-of";
    /** On pods with a sidecar edge: which one they hold, {@code ingress} or {@code egress}. */
    public static final String EDGE_LABEL = "astaire.io/edge";

    public static final int METRICS_PORT = 9090;
    public static final int CONTROLLER_PORT = 8080;
    public static final String READY_PATH = "/readyz";
    public static final String HEALTH_PATH = "/healthz";
    public static final String METRICS_PATH = "/metrics";
    public static final String DNS_IP_ENV = "DNS_IP";
    /** The non-root user of the image (deploy/Dockerfile) that function nodes and the controller run as. */
    public static final long NON_ROOT_UID = 10001;

    private Names() {}
}
