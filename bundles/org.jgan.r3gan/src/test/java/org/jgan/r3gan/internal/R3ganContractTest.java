package org.jgan.r3gan.internal;

import java.util.List;
import org.jgan.api.DataShape;
import org.jgan.testing.ArchitectureContract;
import org.jgan.testing.TestScope;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The R3GAN networks keep the contract of every architecture at each supported resolution, conditional or not. */
class R3ganContractTest extends ArchitectureContract {

    R3ganContractTest() {
        super(new R3ganArchitecture(), "r3gan", 16);
    }

    @Override
    protected List<Case> cases() {
        return List.of(Case.of(new DataShape(1, 28, 28), 0, "widths", "8", "cardinality", "2"),
                Case.of(new DataShape(3, 32, 32), 10, "widths", "8,8,6,4", "cardinality", "4,2,3,1"),
                Case.of(new DataShape(3, 64, 64), 0, "widths", "4", "blocks", "1,0,1,0,1"),
                Case.of(new DataShape(1, 28, 28), 10, "widths", "8,4,4", "blocks", "2", "expansion", "1",
                        "cardinality", "4"));
    }

    /**
     * The blocks' last layers start at zero (fix-up initialisation), which cuts the gradient of every layer before
     * them at the first step; they are given values so that every parameter's path is checked.
     */
    @Override
    protected void beforeGradients(TestScope.Store store) {
        Nd4j.getRandom().setSeed(3);
        store.params.forEach((name, p) -> {
            if (name.endsWith("/conv3/W")) {
                p.assign(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.1));
            }
        });
    }

    /** R3GAN's generator ends in a linear 1x1 convolution: its samples are not bounded. */
    @Override
    protected boolean boundedSamples() {
        return false;
    }

    @Override
    protected List<DataShape> unsupportedShapes() {
        return List.of(new DataShape(1, 30, 30), new DataShape(3, 32, 16), new DataShape(2), new DataShape(3, 128, 128));
    }
}
