package org.jgan.biggan.internal;

import java.util.List;
import org.jgan.api.DataShape;
import org.jgan.testing.ArchitectureContract;

/** The BigGAN networks keep the contract of every architecture (class-conditional: shared embedding, conditional batch norm, projection). */
class BigGanContractTest extends ArchitectureContract {

    BigGanContractTest() {
        super(new BigGanArchitecture(), "biggan", 20);
    }

    @Override
    protected List<Case> cases() {
        return List.of(Case.of(new DataShape(1, 32, 32), 10, "channels", "8", "embedding", "6"),
                Case.of(new DataShape(3, 32, 32), 0, "channels", "8", "embedding", "6"),
                Case.of(new DataShape(3, 64, 64), 4, "channels", "8", "embedding", "6"),
                Case.of(new DataShape(1, 64, 64), 0, "channels", "8", "embedding", "6"));
    }

    @Override
    protected List<DataShape> unsupportedShapes() {
        return List.of(new DataShape(1, 28, 28));
    }
}
