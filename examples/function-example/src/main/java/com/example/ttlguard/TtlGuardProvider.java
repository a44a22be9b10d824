package com.example.ttlguard;

import io.astaire.function.ServiceFunction;
import io.astaire.function.ServiceFunctionProvider;

/** Registers the kind {@code ttl-guard}; listed in META-INF/services so ServiceLoader finds it. */
public final class TtlGuardProvider implements ServiceFunctionProvider {
    @Override
    public String kind() {
        return "ttl-guard";
    }

    @Override
    public ServiceFunction create() {
        return new TtlGuardFunction();
    }
}
