import { runService, SERVICE_CONFIG_SECTIONS } from '@series-killer/shared';
import { startVoice } from './start-voice.ts';

await runService('voice', SERVICE_CONFIG_SECTIONS.voice, (config, logger) => startVoice(config, { logger }));
