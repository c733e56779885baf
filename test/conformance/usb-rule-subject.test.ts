// The matcher reads devices through UsbRuleSubject (src/shared cannot import the agent); the
// agent's UsbDevice must fit it field for field. `npm run typecheck` fails when it stops fitting.
import { describe, expectTypeOf, it } from 'vitest';
import type { UsbDevice } from '../../src/agent/usb/model';
import type { UsbRuleSubject } from '../../src/shared/usb-rules';

describe('UsbRuleSubject', () => {
  it('is satisfied by the agent’s UsbDevice', () => {
    expectTypeOf<UsbDevice>().toExtend<UsbRuleSubject>();
  });
});
