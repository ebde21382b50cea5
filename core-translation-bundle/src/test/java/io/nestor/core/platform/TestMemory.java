package io.nestor.core.platform;

import io.nestor.api.memory.PhysicalMemory;
import java.lang.reflect.Proxy;

/**
 * Memory for registry tests, whose drivers touch only registers: any memory access fails the test,
 * which proves the registry itself never reads or writes guest or table memory.
 */
final class TestMemory {
    private TestMemory() {
    }

    static PhysicalMemory create() {
        return (PhysicalMemory) Proxy.newProxyInstance(TestMemory.class.getClassLoader(),
                new Class<?>[] {PhysicalMemory.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "TestMemory" : method.invoke(proxy, args);
                    }
                    throw new AssertionError("registry touched memory: " + method.getName());
                });
    }
}
