package io.nestor.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.nestor.api.driver.IommuDriver;
import io.nestor.itests.support.Services;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.resource.Namespace;

/**
 * The assembled platform resolves and starts completely: every bundle is active, each Nestor bundle
 * has a current wiring in which every mandatory requirement is wired (API packages to the API
 * bundle, DS components to SCR), and both vendor drivers are registered under their kind.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AssembledPlatformIT {

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    @Test
    public void everyBundleIsActive() {
        List<String> notActive = Arrays.stream(context.getBundles())
                .filter(b -> b.getState() != Bundle.ACTIVE)
                .map(b -> b.getBundleId() + " " + b.getSymbolicName() + " state " + b.getState())
                .collect(Collectors.toList());
        assertEquals("bundles not ACTIVE", List.of(), notActive);
    }

    @Test
    public void everyNestorBundleIsWiredWithAllMandatoryRequirements() {
        for (String[] nestor : NestorPlatformOptions.NESTOR_BUNDLES) {
            Bundle bundle = bundle(nestor[1]);
            BundleWiring wiring = bundle.adapt(BundleWiring.class);
            assertNotNull(nestor[1] + " has no wiring", wiring);
            assertTrue(nestor[1] + " wiring not current", wiring.isCurrent());
            assertTrue(nestor[1] + " wiring not in use", wiring.isInUse());

            List<String> unwired = new ArrayList<>();
            for (BundleRequirement requirement : wiring.getRevision().getDeclaredRequirements(null)) {
                if (isMandatoryAtResolve(requirement) && !isWired(wiring, requirement)) {
                    unwired.add(requirement.getNamespace() + " " + requirement.getDirectives().get("filter"));
                }
            }
            assertEquals(nestor[1] + " has unwired mandatory requirements", List.of(), unwired);
        }
    }

    @Test
    public void nestorBundlesTakeTheApiFromTheApiBundle() {
        for (String[] nestor : NestorPlatformOptions.NESTOR_BUNDLES) {
            if (nestor[1].equals("io.nestor.api")) {
                continue;
            }
            List<BundleWire> apiWires = bundle(nestor[1]).adapt(BundleWiring.class)
                    .getRequiredWires("osgi.wiring.package").stream()
                    .filter(w -> String.valueOf(w.getCapability().getAttributes().get("osgi.wiring.package"))
                            .startsWith("io.nestor.api."))
                    .collect(Collectors.toList());
            assertTrue(nestor[1] + " imports no io.nestor.api package", !apiWires.isEmpty());
            for (BundleWire wire : apiWires) {
                assertEquals(nestor[1] + " wired " + wire.getCapability().getAttributes() + " elsewhere",
                        "io.nestor.api", wire.getProvider().getSymbolicName());
            }
        }
    }

    @Test
    public void bothDriversAreRegisteredUnderTheirKind() {
        assertDriver(IommuDriver.KIND_INTEL_VTD, NestorPlatformOptions.VTD_DRIVER_BSN);
        assertDriver(IommuDriver.KIND_ARM_SMMUV3, NestorPlatformOptions.SMMUV3_DRIVER_BSN);
    }

    private void assertDriver(String kind, String bundleSymbolicName) {
        String filter = "(" + IommuDriver.PROPERTY_KIND + "=" + kind + ")";
        IommuDriver driver = Services.await(context, IommuDriver.class, filter);
        assertEquals("kind() of the " + kind + " service", kind, driver.kind());

        Collection<ServiceReference<IommuDriver>> refs = Services.references(context, IommuDriver.class, filter);
        assertEquals("registrations of kind " + kind, 1, refs.size());
        ServiceReference<IommuDriver> ref = refs.iterator().next();
        assertEquals("bundle registering " + kind, bundleSymbolicName, ref.getBundle().getSymbolicName());
        assertEquals(kind, ref.getProperty(IommuDriver.PROPERTY_KIND));
    }

    private Bundle bundle(String symbolicName) {
        List<Bundle> matching = Arrays.stream(context.getBundles())
                .filter(b -> symbolicName.equals(b.getSymbolicName()))
                .collect(Collectors.toList());
        assertEquals("bundles named " + symbolicName, 1, matching.size());
        return matching.get(0);
    }

    /** Requirements the resolver must satisfy: not optional, not dynamic, effective at resolve. */
    private static boolean isMandatoryAtResolve(BundleRequirement requirement) {
        var directives = requirement.getDirectives();
        String resolution = directives.getOrDefault(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE,
                Namespace.RESOLUTION_MANDATORY);
        String effective = directives.getOrDefault(Namespace.REQUIREMENT_EFFECTIVE_DIRECTIVE,
                Namespace.EFFECTIVE_RESOLVE);
        return Namespace.RESOLUTION_MANDATORY.equals(resolution)
                && Namespace.EFFECTIVE_RESOLVE.equals(effective);
    }

    /**
     * Whether the resolver satisfied {@code requirement}: by a wire, or, for an import of a package
     * the bundle also exports (bnd's substitutable exports), by the bundle's own export, which
     * leaves no wire (OSGi Core R8 3.6.6).
     */
    private static boolean isWired(BundleWiring wiring, BundleRequirement requirement) {
        String filter = requirement.getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE);
        boolean wired = wiring.getRequiredWires(requirement.getNamespace()).stream()
                .anyMatch(w -> w.getRequirement().equals(requirement)
                        || String.valueOf(w.getRequirement().getDirectives().get(Namespace.REQUIREMENT_FILTER_DIRECTIVE))
                                .equals(String.valueOf(filter)));
        return wired || wiring.getCapabilities(requirement.getNamespace()).stream().anyMatch(requirement::matches);
    }
}
