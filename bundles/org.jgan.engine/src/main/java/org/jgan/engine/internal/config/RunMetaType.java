package org.jgan.engine.internal.config;

import java.io.InputStream;
import org.jgan.api.OptionSpec;
import org.jgan.api.TrainingService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeProvider;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * Metatype's description of a run configuration (factory PID {@code org.jgan.run}), made from
 * {@link RunSettings}: each setting an attribute with its type, default, choices and description, validated by the
 * same check the engine applies ({@link RunSettings#check}), so a configuration tool and the engine accept the
 * same values. Component options ({@code architecture.X}, ...) are further keys that the chosen components declare.
 */
@Component(service = MetaTypeProvider.class,
        property = MetaTypeProvider.METATYPE_FACTORY_PID + "=" + TrainingService.RUN_FACTORY_PID)
public final class RunMetaType implements MetaTypeProvider {

    private static final ObjectClassDefinition RUN = new ObjectClassDefinition() {
        @Override
        public String getName() {
            return "jgan training run";
        }

        @Override
        public String getID() {
            return TrainingService.RUN_FACTORY_PID;
        }

        @Override
        public String getDescription() {
            return "One GAN training run: components and hyperparameters. Component options are further keys: "
                    + "architecture.X, loss.X, dataset.X, regularizer.NAME.X, metric.NAME.X, schedule.TARGET";
        }

        @Override
        public AttributeDefinition[] getAttributeDefinitions(int filter) {
            if (filter == OPTIONAL) {
                return null;
            }
            return RunSettings.SPECS.stream().map(Attribute::new).toArray(AttributeDefinition[]::new);
        }

        @Override
        public InputStream getIcon(int size) {
            return null;
        }
    };

    @Override
    public ObjectClassDefinition getObjectClassDefinition(String id, String locale) {
        return TrainingService.RUN_FACTORY_PID.equals(id) ? RUN : null;
    }

    @Override
    public String[] getLocales() {
        return null;
    }

    /** One setting as a Metatype attribute. */
    private record Attribute(OptionSpec spec) implements AttributeDefinition {
        @Override
        public String getName() {
            return spec.name();
        }

        @Override
        public String getID() {
            return spec.name();
        }

        @Override
        public String getDescription() {
            return spec.description() + " (" + spec.expected() + ")";
        }

        @Override
        public int getCardinality() {
            return 0;
        }

        @Override
        public int getType() {
            return switch (spec.type()) {
                case INT -> INTEGER;
                case DOUBLE -> DOUBLE;
                case BOOLEAN -> BOOLEAN;
                case STRING, CHOICE -> STRING;
            };
        }

        @Override
        public String[] getOptionValues() {
            return spec.choices().isEmpty() ? null : spec.choices().toArray(String[]::new);
        }

        @Override
        public String[] getOptionLabels() {
            return getOptionValues();
        }

        @Override
        public String validate(String value) {
            try {
                RunSettings.check(spec.name(), value);
                return "";
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
        }

        @Override
        public String[] getDefaultValue() {
            return new String[] {spec.defaultValue()};
        }
    }
}
