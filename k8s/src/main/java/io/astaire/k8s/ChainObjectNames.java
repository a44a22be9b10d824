package io.astaire.k8s;

import io.astaire.model.FunctionSpec;
import io.astaire.model.Topology;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The names of one chain instance's objects: every one starts with the instance (the Helm release
 * name), so two chains in one namespace never share an object, and their selectors (name and
 * instance labels) never overlap. With the default instance {@code astaire} the edges and the
 * controller keep the names they always had ({@code astaire-ingress}, {@code astaire-controller}).
 * The node-local dnsmasq cache is shared by every chain of a cluster and is not an instance's.
 *
 * <p>Names must pass the API server: a Service name is a DNS-1035 label (a lower-case letter
 * first, then letters, digits and '-', a letter or digit last, at most 63 characters).
 */
public final class ChainObjectNames {

    /** DNS-1035 label: what the API server accepts as a Service name. */
    static final Pattern DNS_1035 = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    static final int MAX_NAME = 63;

    /**
     * Function names whose object name would be another object's ({@code <instance>-ingress}) or
     * that the cluster itself owns ({@code kubernetes}, the API server's Service).
     */
    static final Set<String> RESERVED_FUNCTIONS = Set.of("ingress", "egress", "controller", "controller-data",
            "controller-token", "node-token", "chain", "functions", "dnsmasq", "kubernetes");

    private final String instance;

    public ChainObjectNames(String instance) {
        this.instance = instance;
    }

    public String instance() {
        return instance;
    }

    public String function(String function) {
        return instance + "-" + function;
    }

    public String ingress() {
        return instance + "-ingress";
    }

    public String egress() {
        return instance + "-egress";
    }

    public String controller() {
        return instance + "-controller";
    }

    public String controllerData() {
        return instance + "-controller-data";
    }

    public String controllerToken() {
        return instance + "-controller-token";
    }

    public String nodeToken() {
        return instance + "-node-token";
    }

    public String chainConfig() {
        return instance + "-chain";
    }

    /** The ServiceAccount, Role and RoleBinding. */
    public String serviceAccount() {
        return instance;
    }

    public String networkPolicy() {
        return instance + "-functions";
    }

    /** The shared node-local DNS cache's DaemonSet (one per cluster, not an instance's). */
    public static String dnsmasq() {
        return Names.DNSMASQ;
    }

    /**
     * Refuses what the API server would refuse or what would collide: an instance that is no
     * DNS-1035 label, a function name that is none, is reserved, or makes a name longer than 63.
     *
     * @throws IllegalArgumentException naming the field and the rule
     */
    public void check(Topology chain) {
        requireLabel(instance, "--instance", "the instance");
        int longest = "-controller-token".length();
        if (instance.length() + longest > MAX_NAME) {
            throw new IllegalArgumentException("--instance: '" + instance + "' is too long: object names such as '"
                    + controllerToken() + "' would exceed " + MAX_NAME + " characters (keep it at most " + (MAX_NAME - longest) + ")");
        }
        List<FunctionSpec> functions = chain.functions();
        for (int i = 0; i < functions.size(); i++) {
            String name = functions.get(i).name();
            String field = "functions[" + i + "].name";
            requireLabel(name, field, "a function name");
            if (RESERVED_FUNCTIONS.contains(name)) {
                throw new IllegalArgumentException(field + ": '" + name + "' is reserved for Astaire's own Kubernetes objects"
                        + (name.equals("kubernetes") ? " and the cluster's API server Service" : "") + "; rename the function");
            }
            if (function(name).length() > MAX_NAME) {
                throw new IllegalArgumentException(field + ": '" + name + "' makes the object name '" + function(name)
                        + "' longer than " + MAX_NAME + " characters; shorten the function or the instance");
            }
        }
    }

    private static void requireLabel(String value, String field, String what) {
        if (value == null || !DNS_1035.matcher(value).matches()) {
            throw new IllegalArgumentException(field + ": '" + value + "' is not a valid Kubernetes name for " + what
                    + " (DNS-1035: a lower-case letter first, then lower-case letters, digits or '-', a letter or digit last)");
        }
    }
}
