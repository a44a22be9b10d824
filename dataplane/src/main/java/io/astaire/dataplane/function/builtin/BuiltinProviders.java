package io.astaire.dataplane.function.builtin;

import io.astaire.function.ServiceFunction;
import io.astaire.function.ServiceFunctionProvider;

/**
 * The providers of the built-in functions, registered in
 * {@code META-INF/services/io.astaire.function.ServiceFunctionProvider} like any user's.
 */
public final class BuiltinProviders {
    private BuiltinProviders() {}

    public static final class Passthrough implements ServiceFunctionProvider {
        @Override public String kind() { return PassthroughFunction.KIND; }
        @Override public ServiceFunction create() { return new PassthroughFunction(); }
    }

    public static final class Counter implements ServiceFunctionProvider {
        @Override public String kind() { return CounterFunction.KIND; }
        @Override public ServiceFunction create() { return new CounterFunction(); }
    }

    public static final class Acl implements ServiceFunctionProvider {
        @Override public String kind() { return AclFunction.KIND; }
        @Override public ServiceFunction create() { return new AclFunction(); }
    }

    public static final class RateLimit implements ServiceFunctionProvider {
        @Override public String kind() { return RateLimitFunction.KIND; }
        @Override public ServiceFunction create() { return new RateLimitFunction(); }
    }

    public static final class Dscp implements ServiceFunctionProvider {
        @Override public String kind() { return DscpFunction.KIND; }
        @Override public ServiceFunction create() { return new DscpFunction(); }
    }

    public static final class Tag implements ServiceFunctionProvider {
        @Override public String kind() { return TagFunction.KIND; }
        @Override public ServiceFunction create() { return new TagFunction(); }
    }

    public static final class Pcap implements ServiceFunctionProvider {
        @Override public String kind() { return PcapFunction.KIND; }
        @Override public ServiceFunction create() { return new PcapFunction(); }
    }
}
