package io.astaire.function;

/**
 * Makes functions of one kind. Providers are found with {@link java.util.ServiceLoader}: list the
 * implementing class in {@code META-INF/services/io.astaire.function.ServiceFunctionProvider}
 * of your JAR and put the JAR on the node's class path. Needs a public no-argument constructor.
 */
public interface ServiceFunctionProvider {

    /** The kind this provider makes, as topologies name it ({@code acl}, {@code ttl-guard}). */
    String kind();

    /** A new, unconfigured instance. */
    ServiceFunction create();
}
