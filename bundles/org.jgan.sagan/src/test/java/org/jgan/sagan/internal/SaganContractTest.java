package org.jgan.sagan.internal;

import java.util.List;
import org.jgan.api.DataShape;
import org.jgan.testing.ArchitectureContract;

/** The SAGAN networks keep the contract of every architecture, self-attention included. */
class SaganContractTest extends ArchitectureContract {

    SaganContractTest() {
        super(new SaganArchitecture(), "sagan", 16);
    }

    @Override
    protected List<Case> cases() {
        return List.of(Case.of(new DataShape(1, 32, 32), 0, "channels", "8"),
                Case.of(new DataShape(3, 64, 64), 0, "channels", "8", "attention", "32"));
    }

    @Override
    protected List<DataShape> unsupportedShapes() {
        return List.of(new DataShape(1, 28, 28));
    }

    /** The attention gains start at 0, which zeroes the gradients of the projections f, g and h. */
    @Override
    protected void beforeGradients(org.jgan.testing.TestScope.Store store) {
        store.params.forEach((n, p) -> {
            if (n.endsWith("attention/gamma")) {
                p.assign(0.5);
            }
        });
    }
}
