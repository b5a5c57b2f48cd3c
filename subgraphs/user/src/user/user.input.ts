import { Field, InputType } from 'type-graphql';

@InputType()
export class UpdateProfileInput {
  @Field(() => String, { nullable: true, description: '1..100 characters after trimming, else BAD_USER_INPUT.' })
  name?: string | null;
}
